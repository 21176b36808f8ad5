package chat

import (
	"context"

	"natter/server/hub"
	"natter/shared"
)

// fetchAround answers history.around: the messages around one seq, for a
// client opening a conversation in the middle (a permalink or a search
// result). It spends the read budget (classOf) and, like every read, finds
// nothing for a non-member because the store checks membership in the query.
func fetchAround(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.HistoryAround
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	h, err := s.store.HistoryAround(ctx, a.UserID, req.ConversationID, req.Seq, req.Limit)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{History: &h}, nil, nil
}
