package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// PushTarget is one device to tell about a new message with Web Push.
type PushTarget struct {
	UserID int64
	// SessionID is the device's session; 0 for a subscription saved before
	// subscriptions were tied to sessions.
	SessionID    int64
	HidePreviews bool
	Sub          shared.PushSubscription
	// Badge is the user's unread total over unmuted conversations.
	Badge int
}

// PushTargets returns the conversation and the devices that may be
// pushed a new message of it: every subscription of every member except
// the sender's (their own devices never notify), of members who have not
// muted it, whose account is enabled and whose device's session is live.
// Membership is part of the query, so nobody outside the conversation can
// be a target. Whether a device is connected is for the caller (the hub)
// to decide. A non-nil only narrows the members to those (the people just
// added to the conversation); members in loud are targets even when they
// muted it (an @mention, say).
func (s *Store) PushTargets(ctx context.Context, convID string, senderID int64, only, loud []int64) (shared.Conversation, []PushTarget, error) {
	var rows []struct {
		UserID       int64  `bun:"user_id"`
		SessionID    *int64 `bun:"session_id"`
		HidePreviews bool   `bun:"hide_previews"`
		Endpoint     string `bun:"endpoint"`
		P256dh       string `bun:"p256dh"`
		Auth         string `bun:"auth"`
		Badge        int    `bun:"badge"`
	}
	err := s.DB.NewRaw(`SELECT m.user_id, p.session_id, u.hide_previews, p.endpoint, p.p256dh, p.auth,
			(SELECT coalesce(sum(greatest(c2.last_seq - m2.seen_seq, 0)), 0)
			 FROM conversation_members m2 JOIN conversations c2 ON c2.id = m2.conversation_id
			 WHERE m2.user_id = m.user_id AND (m2.muted_until IS NULL OR m2.muted_until <= now())) AS badge
		FROM conversation_members m
		JOIN users u ON u.id = m.user_id AND u.disabled_at IS NULL
		JOIN push_subscriptions p ON p.user_id = m.user_id
		LEFT JOIN sessions s ON s.id = p.session_id
		WHERE m.conversation_id = ? AND m.user_id <> ?
			AND (m.muted_until IS NULL OR m.muted_until <= now() OR m.user_id = ANY(?::bigint[]))
			AND (p.session_id IS NULL OR (s.revoked_at IS NULL AND s.expires_at > now()))
			AND (? OR m.user_id = ANY(?::bigint[]))
		ORDER BY m.user_id, p.id`, convID, senderID, pgdialect.Array(loud), only == nil, pgdialect.Array(only)).Scan(ctx, &rows)
	if err != nil {
		return shared.Conversation{}, nil, fmt.Errorf("store: push targets: %w", err)
	}
	if len(rows) == 0 {
		// Most messages: nobody to push. The conversation is read only
		// when someone is, which keeps this at one query per message.
		return shared.Conversation{}, nil, nil
	}
	conv, err := conversationByID(ctx, s.DB, convID)
	if err != nil {
		return shared.Conversation{}, nil, fmt.Errorf("store: push targets: %w", err)
	}
	out := make([]PushTarget, len(rows))
	for i, r := range rows {
		t := PushTarget{UserID: r.UserID, HidePreviews: r.HidePreviews, Badge: r.Badge}
		if r.SessionID != nil {
			t.SessionID = *r.SessionID
		}
		t.Sub.Endpoint, t.Sub.Keys.P256dh, t.Sub.Keys.Auth = r.Endpoint, r.P256dh, r.Auth
		out[i] = t
	}
	return conv, out, nil
}
