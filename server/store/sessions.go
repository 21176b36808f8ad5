package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

// SessionRecord is a live session with its token hash and its account, as
// the authentication middleware needs them in one lookup.
type SessionRecord struct {
	shared.Session
	TokenHash []byte
	User      UserRecord
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         int64      `bun:"id,pk,autoincrement"`
	TokenHash  []byte     `bun:"token_hash"`
	UserID     int64      `bun:"user_id"`
	UserAgent  string     `bun:"user_agent"`
	CreatedAt  time.Time  `bun:"created_at"`
	LastSeenAt time.Time  `bun:"last_seen_at"`
	ExpiresAt  time.Time  `bun:"expires_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

const sessionColumns = "id, token_hash, user_id, user_agent, created_at, last_seen_at, expires_at, revoked_at"

func (r sessionRow) session() shared.Session {
	return shared.Session{
		ID: r.ID, UserID: r.UserID, UserAgent: r.UserAgent,
		CreatedAt: utc(r.CreatedAt), LastSeenAt: utc(r.LastSeenAt), ExpiresAt: utc(r.ExpiresAt),
		RevokedAt: utcPtr(r.RevokedAt),
	}
}

// userAgentMax caps the stored user agent; browsers send a few hundred bytes
// but the header is the client's to fill.
const userAgentMax = 512

// CreateSession stores a new session for a signed-in device. The caller
// makes the token and passes only its SHA-256, so a database leak does not
// leak sessions.
func (s *Store) CreateSession(ctx context.Context, userID int64, tokenHash []byte, userAgent string, expires time.Time) (shared.Session, error) {
	if len(tokenHash) == 0 {
		return shared.Session{}, errors.New("store: create session: empty token hash")
	}
	if len(userAgent) > userAgentMax {
		userAgent = truncateUTF8(userAgent, userAgentMax)
	}
	var row sessionRow
	err := s.DB.NewRaw(`INSERT INTO sessions (token_hash, user_id, user_agent, expires_at) VALUES (?, ?, ?, ?) RETURNING `+sessionColumns,
		tokenHash, userID, userAgent, expires).Scan(ctx, &row)
	if err != nil {
		return shared.Session{}, fmt.Errorf("store: create session: %w", err)
	}
	return row.session(), nil
}

// SessionByTokenHash returns the session with that token hash and its user,
// or ErrNoSession when it is unknown, revoked, expired, or its account is
// disabled.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (SessionRecord, error) {
	var row struct {
		sessionRow
		U userRow `bun:"embed:u_"`
	}
	err := s.DB.NewRaw(`
		SELECT s.id, s.token_hash, s.user_id, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
		       u.id AS u_id, u.email AS u_email, u.nickname AS u_nickname, u.password_hash AS u_password_hash,
		       u.admin AS u_admin, u.disabled_at AS u_disabled_at, u.created_at AS u_created_at, u.updated_at AS u_updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
		hash).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionRecord{}, ErrNoSession
	}
	if err != nil {
		return SessionRecord{}, fmt.Errorf("store: session by token: %w", err)
	}
	return SessionRecord{Session: row.session(), TokenHash: row.TokenHash, User: row.U.record()}, nil
}

// SessionOfDisabledUser reports whether the token names a live session
// whose account is disabled. SessionByTokenHash reads such a session as
// none; a device holding one is told its account was disabled (and wipes
// itself), which tells it nothing it did not know: it holds the token.
func (s *Store) SessionOfDisabledUser(ctx context.Context, hash []byte) (bool, error) {
	var disabled bool
	err := s.DB.NewRaw(`SELECT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NOT NULL)`,
		hash).Scan(ctx, &disabled)
	if err != nil {
		return false, fmt.Errorf("store: session of disabled user: %w", err)
	}
	return disabled, nil
}

// TouchSession records activity and slides the expiry forward to expires
// (never backward). A revoked session is left alone.
func (s *Store) TouchSession(ctx context.Context, id int64, expires time.Time) error {
	_, err := s.DB.NewRaw(`UPDATE sessions SET last_seen_at = now(), expires_at = GREATEST(expires_at, ?)
		WHERE id = ? AND revoked_at IS NULL`, expires, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// RevokeSession ends a session; revoking it again is not an error. An
// unknown id is ErrNoSession.
func (s *Store) RevokeSession(ctx context.Context, id int64) error {
	res, err := s.DB.NewRaw(`UPDATE sessions SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?`, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoSession
	}
	return nil
}

// RevokeUserSessions ends every live session of a user except exceptID (0
// for none: "sign out everywhere", or disabling the account) and returns
// the ids it ended, so live connections on them can be closed.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64, exceptID int64) ([]int64, error) {
	var ids []int64
	err := s.DB.NewRaw(`UPDATE sessions SET revoked_at = now()
		WHERE user_id = ? AND id <> ? AND revoked_at IS NULL RETURNING id`, userID, exceptID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// ListSessions returns the live (not revoked, not expired) sessions of a
// user, or of every user when userID is 0, most recently used first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]shared.Session, error) {
	var rows []sessionRow
	err := s.DB.NewRaw(`SELECT `+sessionColumns+` FROM sessions
		WHERE (? = 0 OR user_id = ?) AND revoked_at IS NULL AND expires_at > now()
		ORDER BY last_seen_at DESC, id DESC`, userID, userID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	out := make([]shared.Session, len(rows))
	for i, r := range rows {
		out[i] = r.session()
	}
	return out, nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
