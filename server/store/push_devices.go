package store

import (
	"context"
	"fmt"
	"time"

	"natter/shared"
)

// PushDevices lists a user's devices with push on, newest first, marking
// the one of sessionID as current, and says whether they hide previews.
func (s *Store) PushDevices(ctx context.Context, userID, sessionID int64) (shared.PushDevices, error) {
	out := shared.PushDevices{Devices: []shared.PushDevice{}}
	var rows []struct {
		ID        int64     `bun:"id"`
		Device    string    `bun:"device"`
		Endpoint  string    `bun:"endpoint"`
		SessionID *int64    `bun:"session_id"`
		CreatedAt time.Time `bun:"created_at"`
	}
	err := s.DB.NewRaw(`SELECT id, device, endpoint, session_id, created_at FROM push_subscriptions
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID).Scan(ctx, &rows)
	if err != nil {
		return out, fmt.Errorf("store: push devices: %w", err)
	}
	for _, r := range rows {
		out.Devices = append(out.Devices, shared.PushDevice{ID: r.ID, Device: r.Device, Endpoint: r.Endpoint,
			CreatedAt: r.CreatedAt, Current: r.SessionID != nil && *r.SessionID == sessionID})
	}
	if err := s.DB.NewRaw(`SELECT hide_previews FROM users WHERE id = ?`, userID).Scan(ctx, &out.HidePreviews); err != nil {
		return out, fmt.Errorf("store: hide previews: %w", err)
	}
	return out, nil
}

// DeletePushDevice turns push off for one of the user's devices by its id.
// The user is part of the statement, so nobody can turn off someone else's
// device; it reports whether a row went.
func (s *Store) DeletePushDevice(ctx context.Context, userID, id int64) (bool, error) {
	res, err := s.DB.NewRaw(`DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?`, id, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("store: delete push device: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetHidePreviews records whether pushes to the user carry only "New
// message" instead of the sender's words.
func (s *Store) SetHidePreviews(ctx context.Context, userID int64, hide bool) error {
	if _, err := s.DB.NewRaw(`UPDATE users SET hide_previews = ? WHERE id = ?`, hide, userID).Exec(ctx); err != nil {
		return fmt.Errorf("store: set hide previews: %w", err)
	}
	return nil
}
