package store

import (
	"context"
	"database/sql"
	"errors"
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
	Muted          bool       `bun:"muted"`
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
		SELECT m.conversation_id, m.user_id, u.nickname, m.owner, m.seen_seq, m.seen_at, m.muted
		FROM conversation_members m JOIN users u ON u.id = m.user_id
		WHERE m.conversation_id = ANY(?::uuid[])`, pgdialect.Array(ids)).Scan(ctx, &members)
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	byConv := make(map[string][]shared.Member, len(rows))
	for _, m := range members {
		byConv[m.ConversationID] = append(byConv[m.ConversationID], shared.Member{
			UserID: m.UserID, Nickname: m.Nickname, Owner: m.Owner,
			SeenSeq: m.SeenSeq, SeenAt: utcPtr(m.SeenAt), Muted: m.Muted,
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

// CreateConversation is CreateConversationReport for callers that need only
// the conversation.
func (s *Store) CreateConversation(ctx context.Context, userID int64, actionID string, req shared.ConversationCreate) (shared.Conversation, error) {
	c, err := s.CreateConversationReport(ctx, userID, actionID, req)
	return c.Conversation, err
}

// CreateConversationReport starts a conversation with the creator as owner
// and returns it. req.ID is the client's UUID. One other member and no title
// make a one-to-one; when the two already share an open one, that one is
// returned instead (with a different id) so the client moves its queue
// there. A new one-to-one with someone who blocked the creator is refused
// with CodeBlocked; a group leaves such people out and names them in
// LeftOut (CodeBlocked again when nobody is left). Replaying the action
// returns the first result, LeftOut included.
func (s *Store) CreateConversationReport(ctx context.Context, userID int64, actionID string, req shared.ConversationCreate) (Created, error) {
	if !shared.IsUUID(req.ID) {
		return Created{}, domainErr(shared.CodeInvalid, "The conversation id must be a UUID.")
	}
	convID := strings.ToLower(req.ID)
	title := cleanTitle(req.Title)
	if fe := shared.ValidateTitle(title); fe != nil {
		return Created{}, fieldErr(fe)
	}
	others := make([]int64, 0, len(req.MemberIDs))
	seen := map[int64]bool{userID: true}
	for _, id := range req.MemberIDs {
		if !seen[id] {
			seen[id] = true
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return Created{}, domainErr(shared.CodeInvalid, "Choose at least one other person for the conversation.")
	}
	if len(others)+1 > shared.MaxMembers {
		return Created{}, domainErr(shared.CodeTooManyMembers,
			fmt.Sprintf("A conversation can have at most %d members.", shared.MaxMembers))
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationCreate, func(ctx context.Context, tx bun.Tx) (Created, error) {
		if err := checkUsersActive(ctx, tx, others); err != nil {
			return Created{}, err
		}
		var directKey *string
		if len(others) == 1 && title == "" {
			k := directKeyOf(userID, others[0])
			directKey = &k
			var existing string
			err := tx.NewRaw(`SELECT id FROM conversations WHERE direct_key = ?`, k).Scan(ctx, &existing)
			if err == nil {
				// Returned even when one of the two has blocked the other
				// since: a block leaves existing conversations alone, and
				// this answer brings nobody anywhere new.
				return createdAs(conversationByID(ctx, tx, existing))
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return Created{}, err
			}
		}
		kept, leftOut, err := leaveOutBlockers(ctx, tx, userID, others)
		if err != nil {
			return Created{}, err
		}
		if len(kept) == 0 {
			return Created{}, errBlocked(leftOut)
		}
		res, err := tx.NewRaw(`INSERT INTO conversations (id, title, direct, direct_key, created_by)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			convID, title, directKey != nil, directKey, userID).Exec(ctx)
		if err != nil {
			return Created{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if directKey != nil {
				// Another transaction made the same one-to-one while this one
				// waited: it is visible now, to this new statement.
				var existing string
				err := tx.NewRaw(`SELECT id FROM conversations WHERE direct_key = ?`, *directKey).Scan(ctx, &existing)
				if err == nil {
					return createdAs(conversationByID(ctx, tx, existing))
				}
			}
			// The same id made by the same person is this very action
			// replayed after its applied_actions record was pruned (the
			// outbox may replay a create for as long as it waits): answer
			// with the conversation, as the record would have, if they are
			// still in it. Anyone else's id is someone else's conversation.
			var mine bool
			err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM conversations c
				JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = ?
				WHERE c.id = ? AND c.created_by = ?)`, userID, convID, userID).Scan(ctx, &mine)
			if err == nil && mine {
				return createdAs(conversationByID(ctx, tx, convID))
			}
			return Created{}, domainErr(shared.CodeInvalid, "A conversation with this id exists already.")
		}
		_, err = tx.NewRaw(`INSERT INTO conversation_members (conversation_id, user_id, owner)
			SELECT ?, u, u = ? FROM unnest(?::bigint[]) AS u`,
			convID, userID, pgdialect.Array(append([]int64{userID}, kept...))).Exec(ctx)
		if err != nil {
			return Created{}, err
		}
		c, err := conversationByID(ctx, tx, convID)
		return Created{Conversation: c, LeftOut: leftOut}, err
	})
}

// cleanTitle trims a title and drops NUL characters, which PostgreSQL
// text cannot hold.
func cleanTitle(t string) string {
	return strings.TrimSpace(strings.ReplaceAll(t, "\x00", ""))
}

// directKeyOf names the pair of a one-to-one, lower id first.
func directKeyOf(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return fmt.Sprintf("%d:%d", a, b)
}

// checkUsersActive fails with CodeUserNotFound unless every id is an
// enabled account; disabled accounts cannot be brought into conversations.
func checkUsersActive(ctx context.Context, db bun.IDB, ids []int64) error {
	var found []int64
	err := db.NewRaw(`SELECT id FROM users WHERE id = ANY(?::bigint[]) AND disabled_at IS NULL`,
		pgdialect.Array(ids)).Scan(ctx, &found)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			return domainErr(shared.CodeUserNotFound, fmt.Sprintf("User %d does not exist or cannot be added.", id))
		}
	}
	return nil
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
