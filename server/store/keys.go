package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// KeyRecord is one server secret: a VAPID key, or a key of the resume-token
// ring. A retired key no longer seals anything new but may still open what
// it sealed before.
type KeyRecord struct {
	Name      string     `bun:"name"`
	Value     []byte     `bun:"value"`
	CreatedAt time.Time  `bun:"created_at"`
	RetiredAt *time.Time `bun:"retired_at"`
}

// Key returns the value of a server key, retired or not, or ErrNoKey.
func (s *Store) Key(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.DB.NewRaw(`SELECT value FROM server_keys WHERE name = ?`, name).Scan(ctx, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("store: key: %w", err)
	}
	return v, nil
}

// PutKeyIfAbsent stores value under name unless a key of that name exists,
// and returns the stored value either way. Servers starting together each
// make a candidate key and all end up using the same one.
func (s *Store) PutKeyIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, errors.New("store: put key: empty value")
	}
	// The INSERT waits for a concurrent insert of the same name to end, and
	// the SELECT, a new statement, then sees whichever row won.
	if _, err := s.DB.NewRaw(`INSERT INTO server_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, value).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: put key: %w", err)
	}
	return s.Key(ctx, name)
}

// RetireKey marks a key retired (keeping the first retirement time); an
// unknown name is ErrNoKey.
func (s *Store) RetireKey(ctx context.Context, name string) error {
	res, err := s.DB.NewRaw(`UPDATE server_keys SET retired_at = coalesce(retired_at, now()) WHERE name = ?`, name).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: retire key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoKey
	}
	return nil
}

// DeleteKey removes a key for good, for pruning a ring of keys retired
// longer ago than anything they sealed can live. An unknown name is not an
// error.
func (s *Store) DeleteKey(ctx context.Context, name string) error {
	if _, err := s.DB.NewRaw(`DELETE FROM server_keys WHERE name = ?`, name).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete key: %w", err)
	}
	return nil
}

// Keys returns every key whose name starts with prefix, newest first, so a
// key ring reads as "current key, then older ones".
func (s *Store) Keys(ctx context.Context, prefix string) ([]KeyRecord, error) {
	var out []KeyRecord
	err := s.DB.NewRaw(`SELECT name, value, created_at, retired_at FROM server_keys
		WHERE name LIKE ? || '%' ESCAPE '\' ORDER BY created_at DESC, name DESC`, escapeLike(prefix)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = utc(out[i].CreatedAt)
		out[i].RetiredAt = utcPtr(out[i].RetiredAt)
	}
	return out, nil
}
