package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// AccountExport is what "Download my data" and `natter admin users export`
// hand out: everything Natter keeps that belongs to one person, and nothing
// of anyone else's beyond what that person already sees in the app (the
// nicknames of the people in their conversations).
type AccountExport struct {
	ExportedAt    time.Time            `json:"exported_at"`
	Profile       ExportProfile        `json:"profile"`
	Conversations []ExportConversation `json:"conversations"`
	// Messages are the person's own messages, in every conversation they
	// ever wrote in: they wrote them, so they are theirs even after leaving.
	Messages []shared.Message `json:"messages"`
	// Reads are the moves of their read cursor that are still kept (see
	// NATTER_SEEN_RETENTION).
	Reads    []ExportRead     `json:"reads"`
	Sessions []shared.Session `json:"sessions"`
	// Blocked are the people they blocked (never who blocked them).
	Blocked []shared.Block `json:"blocked"`
}

// ExportProfile is the account itself, without the password hash (a hash
// is an attack aid, not information for its owner).
type ExportProfile struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Nickname   string     `json:"nickname"`
	Admin      bool       `json:"admin"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ExportConversation is a conversation the person is a member of, with
// their own membership details.
type ExportConversation struct {
	ID        string     `json:"id" bun:"id"`
	Title     string     `json:"title" bun:"title"`
	Direct    bool       `json:"direct" bun:"direct"`
	CreatedAt time.Time  `json:"created_at" bun:"created_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty" bun:"closed_at"`
	JoinedAt  time.Time  `json:"joined_at" bun:"joined_at"`
	Owner     bool       `json:"owner" bun:"owner"`
	// MutedUntil is when the person's mute of it ends (far in the
	// future: until turned back on); absent when not muted.
	MutedUntil *time.Time `json:"muted_until,omitempty" bun:"muted_until"`
	SeenSeq    int64      `json:"seen_seq" bun:"seen_seq"`
	Members    []string   `json:"members" bun:"members,array"`
}

// ExportRead is one move of the person's read cursor.
type ExportRead struct {
	ConversationID string    `json:"conversation_id" bun:"conversation_id"`
	Seq            int64     `json:"seq" bun:"seq"`
	SeenAt         time.Time `json:"seen_at" bun:"seen_at"`
}

// ExportAccount gathers one person's data in one REPEATABLE READ
// transaction, so the parts agree with each other (no message without its
// conversation because a send committed between two queries). Every query
// is restricted to the person inside its WHERE clause. ErrNoUser when the
// account does not exist.
func (s *Store) ExportAccount(ctx context.Context, userID int64) (AccountExport, error) {
	var out AccountExport
	err := s.DB.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		err := tx.NewRaw(`SELECT `+userColumns+` FROM users WHERE id = ?`, userID).Scan(ctx, &u)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoUser
		}
		if err != nil {
			return err
		}
		out.ExportedAt = time.Now().UTC()
		out.Profile = ExportProfile{ID: u.ID, Email: u.Email, Nickname: u.Nickname, Admin: u.Admin,
			DisabledAt: utcPtr(u.DisabledAt), CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt)}
		out.Conversations = []ExportConversation{}
		err = tx.NewRaw(`SELECT c.id, c.title, c.direct, c.created_at, c.closed_at,
				me.joined_at, me.owner, CASE WHEN me.muted_until > now() THEN me.muted_until END AS muted_until, me.seen_seq,
				ARRAY(SELECT u.nickname FROM conversation_members m JOIN users u ON u.id = m.user_id
					WHERE m.conversation_id = c.id ORDER BY lower(u.nickname)) AS members
			FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
			WHERE me.user_id = ?
			ORDER BY me.joined_at, c.id`, userID).Scan(ctx, &out.Conversations)
		if err != nil {
			return err
		}
		var msgs []messageRow
		err = tx.NewRaw(`SELECT `+messageColumns+` FROM messages m JOIN users u ON u.id = m.sender_id
			WHERE m.sender_id = ? ORDER BY m.conversation_id, m.seq`, userID).Scan(ctx, &msgs)
		if err != nil {
			return err
		}
		out.Messages = make([]shared.Message, len(msgs))
		for i, r := range msgs {
			out.Messages[i] = r.message()
		}
		out.Reads = []ExportRead{}
		err = tx.NewRaw(`SELECT conversation_id, seq, seen_at FROM seen_history
			WHERE user_id = ? ORDER BY conversation_id, seq`, userID).Scan(ctx, &out.Reads)
		if err != nil {
			return err
		}
		var sess []sessionRow
		err = tx.NewRaw(`SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY id`, userID).Scan(ctx, &sess)
		if err != nil {
			return err
		}
		out.Sessions = make([]shared.Session, len(sess))
		for i, r := range sess {
			out.Sessions[i] = r.session()
		}
		var blocks []struct {
			UserID    int64     `bun:"user_id"`
			Nickname  string    `bun:"nickname"`
			CreatedAt time.Time `bun:"created_at"`
		}
		err = tx.NewRaw(`SELECT b.blocked_id AS user_id, u.nickname, b.created_at
			FROM blocks b JOIN users u ON u.id = b.blocked_id
			WHERE b.blocker_id = ? ORDER BY b.created_at, b.blocked_id`, userID).Scan(ctx, &blocks)
		if err != nil {
			return err
		}
		out.Blocked = make([]shared.Block, len(blocks))
		for i, b := range blocks {
			out.Blocked[i] = shared.Block{UserID: b.UserID, Nickname: b.Nickname, CreatedAt: utc(b.CreatedAt)}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNoUser) {
		err = fmt.Errorf("store: export account %d: %w", userID, err)
	}
	return out, err
}

// DeletedAccount reports what DeleteAccount did, so the caller can tell
// everyone concerned: the sessions to disconnect, the conversations whose
// members must see the person gone (as they are now), and the messages
// erased (as they are now, for the members' caches).
type DeletedAccount struct {
	UserID        int64
	Nickname      string
	SessionIDs    []int64
	Conversations []shared.Conversation
	Erased        []shared.Message
	// Changes are, per conversation, every message the deletion stamped
	// with a new event: the erased ones, the replies quoting them, and the
	// messages the person had reacted to (their reactions go with them),
	// as they are now. Members' devices apply them live; one offline gets
	// them on resume from the same event.
	Changes []ConversationChange
	// Dropped counts conversations removed because nobody was left in them.
	Dropped int
}

// DeleteAccount deletes a person and what is theirs, in one transaction:
//
//   - the account row, and with it (ON DELETE CASCADE) their sessions, push
//     subscriptions, memberships, read cursors and their history, applied
//     action results and blocks. Drafts live only on their devices, which
//     are wiped when their sessions are closed.
//   - their messages are erased, not attributed to a "deleted user": the
//     body is emptied and the message marked deleted, and sender_id becomes
//     NULL with the account. Deleting an account means the words go too;
//     keeping the row (a tombstone) keeps every conversation's seq gap-free,
//     so other members' devices resume without a hole.
//   - a conversation they owned passes to the member who joined first (the
//     same rule as leaving a closed group); one left without members is
//     deleted; a one-to-one loses its pair key so the other person can
//     start a new one.
//
// The conversations are locked in id order before anything changes, as the
// group commit does, so a concurrent send either commits before (and its
// message is erased) or finds the person no longer a member. It is
// idempotent: deleting an account that no longer exists returns ErrNoUser
// and changes nothing.
func (s *Store) DeleteAccount(ctx context.Context, userID int64) (DeletedAccount, error) {
	d := DeletedAccount{UserID: userID}
	err := s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d = DeletedAccount{UserID: userID}
		// Conversations first, then the account: a send or a read mark
		// locks its conversation and then checks the sender's row (the
		// foreign key), so taking them in the other order could deadlock.
		var convIDs []string
		err := tx.NewRaw(`SELECT c.id FROM conversations c
			WHERE c.id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ?)
			   OR c.id IN (SELECT DISTINCT conversation_id FROM messages WHERE sender_id = ?)
			ORDER BY c.id FOR NO KEY UPDATE`, userID, userID).Scan(ctx, &convIDs)
		if err != nil {
			return err
		}
		err = tx.NewRaw(`SELECT nickname FROM users WHERE id = ? FOR UPDATE`, userID).Scan(ctx, &d.Nickname)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoUser
		}
		if err != nil {
			return err
		}
		err = tx.NewRaw(`SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL ORDER BY id`,
			userID).Scan(ctx, &d.SessionIDs)
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM conversation_members WHERE user_id = ?`, userID).Exec(ctx); err != nil {
			return err
		}
		// Every conversation without an owner now had it in this person: the
		// member who joined first takes over, so there is again exactly one.
		if _, err := tx.NewRaw(`UPDATE conversation_members cm SET owner = true
			FROM (SELECT DISTINCT ON (conversation_id) conversation_id, user_id FROM conversation_members
				WHERE conversation_id = ANY(?::uuid[]) ORDER BY conversation_id, joined_at, user_id) first
			WHERE cm.conversation_id = first.conversation_id AND cm.user_id = first.user_id
			  AND NOT EXISTS (SELECT 1 FROM conversation_members o WHERE o.conversation_id = cm.conversation_id AND o.owner)`,
			pgdialect.Array(convIDs)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`UPDATE conversations SET direct_key = NULL WHERE direct AND id = ANY(?::uuid[])`,
			pgdialect.Array(convIDs)).Exec(ctx); err != nil {
			return err
		}
		var gone []string
		if err := tx.NewRaw(`DELETE FROM conversations c WHERE c.id = ANY(?::uuid[])
			AND NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id) RETURNING c.id`,
			pgdialect.Array(convIDs)).Scan(ctx, &gone); err != nil {
			return err
		}
		d.Dropped = len(gone)
		var erased []int64
		if err := tx.NewRaw(`UPDATE messages SET body = '', action_id = NULL, edited_at = NULL,
				deleted_at = coalesce(deleted_at, now())
			WHERE sender_id = ? RETURNING id`, userID).Scan(ctx, &erased); err != nil {
			return err
		}
		events, err := eraseAccountMessages(ctx, tx, userID, erased) // message_extras.go
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM users WHERE id = ?`, userID).Exec(ctx); err != nil {
			return err
		}
		if d.Changes, err = stampedMessages(ctx, tx, events); err != nil {
			return err
		}
		if len(erased) > 0 {
			var rows []messageRow
			if err := tx.NewRaw(`SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.sender_id
				WHERE m.id = ANY(?::bigint[]) ORDER BY m.conversation_id, m.seq`, pgdialect.Array(erased)).Scan(ctx, &rows); err != nil {
				return err
			}
			d.Erased = make([]shared.Message, len(rows))
			for i, r := range rows {
				d.Erased[i] = r.message()
			}
		}
		for _, id := range convIDs {
			conv, err := conversationByID(ctx, tx, id)
			if isDomain(err) {
				continue // dropped: nobody left to tell
			}
			if err != nil {
				return err
			}
			d.Conversations = append(d.Conversations, conv)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNoUser) {
		err = fmt.Errorf("store: delete account %d: %w", userID, err)
	}
	return d, err
}
