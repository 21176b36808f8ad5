package store

import (
	"context"
	"fmt"

	"natter/shared"
)

// RecentConversations returns the user's limit most recently active
// conversations, and whether there are more: the first page of a replay,
// which is what a returning person looks at first.
func (s *Store) RecentConversations(ctx context.Context, userID int64, limit int) ([]shared.Conversation, bool, error) {
	var rows []conversationRow
	err := s.DB.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id
		WHERE m.user_id = ?
		ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC
		LIMIT ?`, userID, limit+1).Scan(ctx, &rows)
	if err != nil {
		return nil, false, fmt.Errorf("store: recent conversations: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	cs, err := fillConversations(ctx, s.DB, rows)
	if err != nil {
		return nil, false, fmt.Errorf("store: recent conversations: %w", err)
	}
	return cs, more, nil
}

// ConversationsAfter pages through all of the user's conversations by id
// (a stable order, unlike activity, so a page never skips one that became
// active meanwhile); next is "" after the last page. The membership join
// is the authorization: only the user's own conversations can come back.
func (s *Store) ConversationsAfter(ctx context.Context, userID int64, after string, limit int) (page []shared.Conversation, next string, err error) {
	if after != "" && !shared.IsUUID(after) {
		return nil, "", domainErr(shared.CodeInvalid, "The page cursor is not a conversation id.")
	}
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	var rows []conversationRow
	err = s.DB.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id
		WHERE m.user_id = ? AND c.id > ?
		ORDER BY c.id
		LIMIT ?`, userID, after, limit+1).Scan(ctx, &rows)
	if err != nil {
		return nil, "", fmt.Errorf("store: conversations after: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	cs, err := fillConversations(ctx, s.DB, rows)
	if err != nil {
		return nil, "", fmt.Errorf("store: conversations after: %w", err)
	}
	if cs == nil {
		cs = []shared.Conversation{}
	}
	return cs, next, nil
}
