package chat

import (
	"context"
	"fmt"

	"natter/server/hub"
)

// ProfileChanged tells everyone who shares a conversation with the user
// that their profile changed (a new nickname), so sidebars, headers and
// message lists show the new name live instead of after the next
// reconnect. Each conversation gets the same small delta a membership
// change sends: its fields with only this member's entry. The rename is
// committed before this runs, as for every event.
func (s *Service) ProfileChanged(ctx context.Context, userID int64) error {
	convs, err := s.store.ConversationsForUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("chat: profile changed: %w", err)
	}
	evs := make([]hub.Event, 0, len(convs))
	for _, conv := range convs {
		evs = append(evs, s.conversationEvents(conv, []int64{userID}, 0, 0)...)
	}
	s.publish(evs...)
	return nil
}
