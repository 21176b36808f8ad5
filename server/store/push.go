package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// Limits on a push subscription; browsers' values are far below them.
const (
	pushEndpointMax = 2048
	pushKeyMax      = 256
	pushDeviceMax   = 128
)

// checkPushSubscription refuses what cannot be a browser's subscription:
// the endpoint must be an https URL and both keys must be there.
func checkPushSubscription(sub shared.PushSubscription) error {
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(sub.Endpoint) > pushEndpointMax {
		return &shared.Error{Code: shared.CodeInvalid, Field: "endpoint", Message: "The push endpoint must be an https URL."}
	}
	if sub.Keys.P256dh == "" || sub.Keys.Auth == "" || len(sub.Keys.P256dh) > pushKeyMax || len(sub.Keys.Auth) > pushKeyMax {
		return &shared.Error{Code: shared.CodeInvalid, Field: "keys", Message: "The push subscription must carry its p256dh and auth keys."}
	}
	return nil
}

// SavePushSubscription stores a browser's push subscription for a user
// and the session (device) it was made on; revoking that session deletes it
// (a trigger, see the migration). The endpoint identifies it: saving it
// again (new keys, or another user signed in on that browser) replaces the
// old row. Past shared.MaxPushDevices the user's oldest subscriptions are
// dropped, so the count stays bounded without ever refusing a new device.
//
// The session row is locked (FOR SHARE) while saving: a sign-out racing
// with the save either waits and then deletes the new row, or wins and the
// save finds the session ended (ErrNoSession). Without the lock a save
// checked before the revocation could land after it and outlive it.
// sessionID 0 saves without a session (tools and tests).
func (s *Store) SavePushSubscription(ctx context.Context, userID, sessionID int64, sub shared.PushSubscription) error {
	if err := checkPushSubscription(sub); err != nil {
		return err
	}
	device := truncateUTF8(strings.TrimSpace(sub.Device), pushDeviceMax)
	live := `SELECT NULL::bigint AS id WHERE ? = 0`
	if sessionID != 0 {
		live = `SELECT id FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > now() FOR SHARE`
	}
	var saved int
	err := s.DB.NewRaw(`WITH live AS (`+live+`),
		saved AS (
			INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, device, session_id)
			SELECT ?, ?, ?, ?, ?, id FROM live
			ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
				auth = excluded.auth, device = excluded.device, session_id = excluded.session_id, created_at = now()
			RETURNING id),
		pruned AS (
			DELETE FROM push_subscriptions WHERE EXISTS (SELECT 1 FROM saved) AND id IN (
				SELECT id FROM push_subscriptions WHERE user_id = ? AND id NOT IN (SELECT id FROM saved)
				ORDER BY created_at DESC, id DESC OFFSET ?))
		SELECT count(*) FROM saved`,
		sessionID, userID, sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, device,
		userID, shared.MaxPushDevices-1).Scan(ctx, &saved)
	if err != nil {
		return fmt.Errorf("store: save push subscription: %w", err)
	}
	if saved == 0 {
		return ErrNoSession
	}
	return nil
}

// PushSubscriptions returns the subscriptions of the given users, by user,
// for sending Web Push to members with no live connection.
func (s *Store) PushSubscriptions(ctx context.Context, userIDs []int64) (map[int64][]shared.PushSubscription, error) {
	out := map[int64][]shared.PushSubscription{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID    int64     `bun:"user_id"`
		Endpoint  string    `bun:"endpoint"`
		P256dh    string    `bun:"p256dh"`
		Auth      string    `bun:"auth"`
		Device    string    `bun:"device"`
		CreatedAt time.Time `bun:"created_at"`
	}
	err := s.DB.NewRaw(`SELECT user_id, endpoint, p256dh, auth, device, created_at FROM push_subscriptions
		WHERE user_id = ANY(?::bigint[]) ORDER BY user_id, id`, pgdialect.Array(userIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: push subscriptions: %w", err)
	}
	for _, r := range rows {
		var sub shared.PushSubscription
		sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, sub.Device = r.Endpoint, r.P256dh, r.Auth, r.Device
		out[r.UserID] = append(out[r.UserID], sub)
	}
	return out, nil
}

// DeletePushSubscription forgets an endpoint, typically after the push
// service answered 404 or 410 for it. An unknown endpoint is not an error.
func (s *Store) DeletePushSubscription(ctx context.Context, endpoint string) error {
	if _, err := s.DB.NewRaw(`DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete push subscription: %w", err)
	}
	return nil
}

// DeleteUserPushSubscription forgets an endpoint only if it belongs to the
// user, for the user's own "turn off notifications": nobody can unsubscribe
// someone else's browser.
func (s *Store) DeleteUserPushSubscription(ctx context.Context, userID int64, endpoint string) error {
	_, err := s.DB.NewRaw(`DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?`, endpoint, userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: delete user push subscription: %w", err)
	}
	return nil
}

// DeleteAllPushSubscriptions forgets every subscription, after the VAPID
// keys changed and made them all useless; it returns how many went.
func (s *Store) DeleteAllPushSubscriptions(ctx context.Context) (int64, error) {
	res, err := s.DB.NewRaw(`DELETE FROM push_subscriptions`).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: delete all push subscriptions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ClaimPush records that a message's pushes are being sent and reports
// whether this call was first: a replayed send is fanned out again, and
// must not notify again. Claims older than a day are swept by
// SweepPushClaims.
func (s *Store) ClaimPush(ctx context.Context, convID string, seq int64) (bool, error) {
	var n []int
	err := s.DB.NewRaw(`INSERT INTO push_claims (conversation_id, seq) VALUES (?, ?)
		ON CONFLICT DO NOTHING RETURNING 1`, convID, seq).Scan(ctx, &n)
	if err != nil {
		return false, fmt.Errorf("store: claim push: %w", err)
	}
	return len(n) > 0, nil
}

// SweepPushClaims deletes claims older than a day: no replay comes that
// late without its push long sent.
func (s *Store) SweepPushClaims(ctx context.Context) error {
	if _, err := s.DB.NewRaw(`DELETE FROM push_claims WHERE created_at < now() - interval '1 day'`).Exec(ctx); err != nil {
		return fmt.Errorf("store: sweep push claims: %w", err)
	}
	return nil
}
