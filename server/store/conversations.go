package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

type conversationRow struct {
	bun.BaseModel `bun:"table:conversations"`

	ID            string     `bun:"id,pk"`
	Title         string     `bun:"title"`
	Direct        bool       `bun:"direct"`
	DirectKey     *string    `bun:"direct_key"`
	CreatedBy     *int64     `bun:"created_by"`
	CreatedAt     time.Time  `bun:"created_at"`
	ClosedAt      *time.Time `bun:"closed_at"`
	LastSeq       int64      `bun:"last_seq"`
	LastMessageAt *time.Time `bun:"last_message_at"`
}

const conversationColumns = "c.id, c.title, c.direct, c.direct_key, c.created_by, c.created_at, c.closed_at, c.last_seq, c.last_message_at"

type memberRow struct {
	ConversationID string     `bun:"conversation_id"`
	UserID         int64      `bun:"user_id"`
	Nickname       string     `bun:"nickname"`
	Owner          bool       `bun:"owner"`
	SeenSeq        int64      `bun:"seen_seq"`
	SeenAt         *time.Time `bun:"seen_at"`
}

// cleanConvID lower-cases a conversation id; anything that is not a UUID
// cannot name a conversation, so it gets the not-found answer.
func cleanConvID(id string) (string, error) {
	if !shared.IsUUID(id) {
		return "", notFound()
	}
	return strings.ToLower(id), nil
}

// fillConversations turns rows into conversations with their members and
// newest message: two queries whatever the number of conversations. The
// preview is a LATERAL ... LIMIT 1 so that it stays one index probe per
// conversation even before the planner has statistics on messages.
func fillConversations(ctx context.Context, db bun.IDB, rows []conversationRow) ([]shared.Conversation, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	withMessages := make([]string, 0, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		if r.LastSeq > 0 {
			withMessages = append(withMessages, r.ID)
		}
	}
	var members []memberRow
	err := db.NewRaw(`
		SELECT m.conversation_id, m.user_id, u.nickname, m.owner, m.seen_seq, m.seen_at
		FROM conversation_members m JOIN users u ON u.id = m.user_id
		WHERE m.conversation_id = ANY(?::uuid[])`, pgdialect.Array(ids)).Scan(ctx, &members)
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	byConv := make(map[string][]shared.Member, len(rows))
	for _, m := range members {
		byConv[m.ConversationID] = append(byConv[m.ConversationID], shared.Member{
			UserID: m.UserID, Nickname: m.Nickname, Owner: m.Owner,
			SeenSeq: m.SeenSeq, SeenAt: utcPtr(m.SeenAt),
		})
	}
	previews := map[string]*shared.Message{}
	if len(withMessages) > 0 {
		var msgs []messageRow
		err := db.NewRaw(`
			SELECT `+messageColumns+`
			FROM conversations c
			CROSS JOIN LATERAL (SELECT * FROM messages
				WHERE conversation_id = c.id AND seq = c.last_seq LIMIT 1) m
			LEFT JOIN users u ON u.id = m.sender_id
			WHERE c.id = ANY(?::uuid[])`, pgdialect.Array(withMessages)).Scan(ctx, &msgs)
		if err != nil {
			return nil, fmt.Errorf("load previews: %w", err)
		}
		for _, m := range msgs {
			msg := m.message()
			previews[m.ConversationID] = &msg
		}
	}
	out := make([]shared.Conversation, len(rows))
	for i, r := range rows {
		ms := byConv[r.ID]
		sortMembers(ms)
		c := shared.Conversation{
			ID: r.ID, Title: r.Title, Named: r.Title != "", Direct: r.Direct,
			CreatedAt: utc(r.CreatedAt), ClosedAt: utcPtr(r.ClosedAt),
			LastSeq: r.LastSeq, LastAt: utcPtr(r.LastMessageAt),
			Members: ms, Preview: previews[r.ID],
		}
		if r.CreatedBy != nil {
			c.CreatedBy = *r.CreatedBy
		}
		if c.Members == nil {
			c.Members = []shared.Member{}
		}
		if !c.Named {
			c.Title = derivedTitle(ms)
		}
		out[i] = c
	}
	return out, nil
}

// sortMembers orders members by nickname ignoring case, which is also the
// order of a derived title.
func sortMembers(ms []shared.Member) {
	slices.SortFunc(ms, func(a, b shared.Member) int {
		if c := strings.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname)); c != 0 {
			return c
		}
		return strings.Compare(a.Nickname, b.Nickname)
	})
}

// derivedTitle is the title of an untitled conversation: every member's
// nickname, sorted. It is computed on read so that renames show at once.
func derivedTitle(sorted []shared.Member) string {
	names := make([]string, len(sorted))
	for i, m := range sorted {
		names[i] = m.Nickname
	}
	return strings.Join(names, ", ")
}

// conversationByID loads a conversation whoever asks (fan-out, admin,
// results of actions); CodeNotFound when it does not exist.
func conversationByID(ctx context.Context, db bun.IDB, convID string) (shared.Conversation, error) {
	var rows []conversationRow
	err := db.NewRaw(`SELECT `+conversationColumns+` FROM conversations c WHERE c.id = ?`, convID).Scan(ctx, &rows)
	if err != nil {
		return shared.Conversation{}, err
	}
	if len(rows) == 0 {
		return shared.Conversation{}, notFound()
	}
	cs, err := fillConversations(ctx, db, rows)
	if err != nil {
		return shared.Conversation{}, err
	}
	return cs[0], nil
}

// Conversation returns a conversation as its member userID sees it, or
// CodeNotFound when it does not exist or userID is not a member.
func (s *Store) Conversation(ctx context.Context, userID int64, convID string) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	var rows []conversationRow
	err = s.DB.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = ?
		WHERE c.id = ?`, userID, convID).Scan(ctx, &rows)
	if err != nil {
		return shared.Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	if len(rows) == 0 {
		return shared.Conversation{}, notFound()
	}
	cs, err := fillConversations(ctx, s.DB, rows)
	if err != nil {
		return shared.Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	return cs[0], nil
}

// ConversationByID returns a conversation without a membership check, for
// the admin CLI and for server code that already knows who may see it.
func (s *Store) ConversationByID(ctx context.Context, convID string) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	c, err := conversationByID(ctx, s.DB, convID)
	return c, wrap("conversation by id", err)
}

// ConversationsForUser returns the user's conversations, most recent
// activity first, each with members, read cursors and newest message. It
// costs three queries however many conversations the user has.
func (s *Store) ConversationsForUser(ctx context.Context, userID int64) ([]shared.Conversation, error) {
	var rows []conversationRow
	err := s.DB.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id
		WHERE m.user_id = ?
		ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC`, userID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: conversations for user: %w", err)
	}
	cs, err := fillConversations(ctx, s.DB, rows)
	if err != nil {
		return nil, fmt.Errorf("store: conversations for user: %w", err)
	}
	if cs == nil {
		cs = []shared.Conversation{}
	}
	return cs, nil
}

// AllConversations returns every conversation, most recent activity first,
// for the admin CLI.
func (s *Store) AllConversations(ctx context.Context) ([]shared.Conversation, error) {
	var rows []conversationRow
	err := s.DB.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC`).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: all conversations: %w", err)
	}
	cs, err := fillConversations(ctx, s.DB, rows)
	return cs, wrap("all conversations", err)
}

// MemberIDs returns the user ids of a conversation's members, for fan-out.
func (s *Store) MemberIDs(ctx context.Context, convID string) ([]int64, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = s.DB.NewRaw(`SELECT user_id FROM conversation_members WHERE conversation_id = ? ORDER BY user_id`, convID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: member ids: %w", err)
	}
	return ids, nil
}

// RenameConversation sets the title (trimmed); an empty one restores the
// derived title. Only the owner may rename, and not once it is closed.
func (s *Store) RenameConversation(ctx context.Context, userID int64, actionID string, convID, title string) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	title = cleanTitle(title)
	if fe := shared.ValidateTitle(title); fe != nil {
		return shared.Conversation{}, fieldErr(fe)
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationRename, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		if _, err := lockAsOwner(ctx, tx, convID, userID, "rename"); err != nil {
			return shared.Conversation{}, err
		}
		if _, err := tx.NewRaw(`UPDATE conversations SET title = ? WHERE id = ?`, title, convID).Exec(ctx); err != nil {
			return shared.Conversation{}, err
		}
		return conversationByID(ctx, tx, convID)
	})
}

// CloseConversation closes a conversation for good: it stays readable but
// takes no more messages or membership changes. Only the owner may close
// it. A closed one-to-one gives up its pair key, so the two people can
// start a fresh one.
func (s *Store) CloseConversation(ctx context.Context, userID int64, actionID, convID string) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationClose, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		if _, err := lockAsOwner(ctx, tx, convID, userID, "close"); err != nil {
			return shared.Conversation{}, err
		}
		if _, err := tx.NewRaw(`UPDATE conversations SET closed_at = now(), direct_key = NULL WHERE id = ?`, convID).Exec(ctx); err != nil {
			return shared.Conversation{}, err
		}
		return conversationByID(ctx, tx, convID)
	})
}

// MembersOf returns the member ids of several conversations in one query,
// for fanning out what the one-by-one send path committed.
func (s *Store) MembersOf(ctx context.Context, convIDs []string) (map[string][]int64, error) {
	m, err := membersOf(ctx, s.DB, convIDs)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return m, nil
}
