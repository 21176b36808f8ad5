package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

// Invite is an invite code's record, for the admin CLI. The code itself is
// not kept: it is shown once, when created.
type Invite struct {
	ID        int64      `json:"id" bun:"id"`
	MaxUses   int        `json:"max_uses" bun:"max_uses"`
	Uses      int        `json:"uses" bun:"uses"`
	ExpiresAt *time.Time `json:"expires_at,omitempty" bun:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty" bun:"revoked_at"`
	CreatedAt time.Time  `json:"created_at" bun:"created_at"`
}

// Usable reports whether the invite can still admit someone at now.
func (i Invite) Usable(now time.Time) bool {
	return i.RevokedAt == nil && i.Uses < i.MaxUses && (i.ExpiresAt == nil || i.ExpiresAt.After(now))
}

// ErrInviteInvalid is the one answer for an unknown, expired, revoked or
// used-up invite code: which of them it is helps only someone guessing.
var ErrInviteInvalid = &shared.FieldError{Field: "invite", Code: shared.CodeInviteInvalid,
	Message: "This invite code is not valid: it may be mistyped, expired or used up. Ask for a new one."}

// ErrNoInvite is returned by RevokeInvite for an unknown invite id.
var ErrNoInvite = errors.New("store: no such invite")

var inviteEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewInviteCode returns a fresh code of 130 random bits, in groups of four
// letters and digits so it can be read out and typed.
func NewInviteCode() (string, error) {
	var b [17]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: invite code: %w", err)
	}
	s := inviteEncoding.EncodeToString(b[:])[:26]
	var groups []string
	for len(s) > 4 {
		groups = append(groups, s[:4])
		s = s[4:]
	}
	return strings.Join(append(groups, s), "-"), nil
}

// InviteHash is what the database keeps of a code. Letter case, spaces and
// dashes do not matter, so a code read out or retyped still matches.
func InviteHash(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
	sum := sha256.Sum256([]byte(norm))
	return sum[:]
}

// CreateInvite stores a new invite admitting maxUses registrations until
// expiresAt (nil: no expiry) and returns it with its code.
func (s *Store) CreateInvite(ctx context.Context, maxUses int, expiresAt *time.Time) (Invite, string, error) {
	if maxUses < 1 {
		return Invite{}, "", errors.New("store: create invite: uses must be at least 1")
	}
	code, err := NewInviteCode()
	if err != nil {
		return Invite{}, "", err
	}
	var inv Invite
	err = s.DB.NewRaw(`INSERT INTO invites (code_hash, max_uses, expires_at) VALUES (?, ?, ?)
		RETURNING id, max_uses, uses, expires_at, revoked_at, created_at`, InviteHash(code), maxUses, expiresAt).Scan(ctx, &inv)
	if err != nil {
		return Invite{}, "", fmt.Errorf("store: create invite: %w", err)
	}
	return inv.utc(), code, nil
}

func (i Invite) utc() Invite {
	i.ExpiresAt, i.RevokedAt, i.CreatedAt = utcPtr(i.ExpiresAt), utcPtr(i.RevokedAt), utc(i.CreatedAt)
	return i
}

// ListInvites returns every invite, newest first.
func (s *Store) ListInvites(ctx context.Context) ([]Invite, error) {
	var out []Invite
	err := s.DB.NewRaw(`SELECT id, max_uses, uses, expires_at, revoked_at, created_at FROM invites ORDER BY id DESC`).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	for i := range out {
		out[i] = out[i].utc()
	}
	return out, nil
}

// RevokeInvite stops an invite from admitting anyone else. Revoking twice
// keeps the first time.
func (s *Store) RevokeInvite(ctx context.Context, id int64) error {
	res, err := s.DB.NewRaw(`UPDATE invites SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?`, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: revoke invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoInvite
	}
	return nil
}

// InviteUsable reports whether the code can admit someone now. It is the
// cheap check a registration makes before hashing the password; the use is
// only counted by ConsumeInvite or RegisterUser.
func (s *Store) InviteUsable(ctx context.Context, codeHash []byte) (bool, error) {
	var ok bool
	err := s.DB.NewRaw(`SELECT EXISTS (SELECT 1 FROM invites WHERE code_hash = ? AND `+inviteLive+`)`, codeHash).Scan(ctx, &ok)
	if err != nil {
		return false, fmt.Errorf("store: invite usable: %w", err)
	}
	return ok, nil
}

const inviteLive = `revoked_at IS NULL AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())`

// ConsumeInvite counts one use of the code, or returns ErrInviteInvalid
// when it cannot admit anyone any more. The UPDATE's row lock makes
// concurrent uses queue, so an invite for N admits at most N.
func (s *Store) ConsumeInvite(ctx context.Context, codeHash []byte) error {
	return consumeInvite(ctx, s.DB, codeHash)
}

func consumeInvite(ctx context.Context, db bun.IDB, codeHash []byte) error {
	var id int64
	err := db.NewRaw(`UPDATE invites SET uses = uses + 1 WHERE code_hash = ? AND `+inviteLive+` RETURNING id`, codeHash).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrInviteInvalid
	}
	if err != nil {
		return fmt.Errorf("store: consume invite: %w", err)
	}
	return nil
}

// RegisterUser creates an account, counting one use of the invite when
// inviteHash is not nil, in one transaction: a registration that fails
// leaves the invite's uses as they were, and an invite used up by a
// concurrent registration admits nobody else.
func (s *Store) RegisterUser(ctx context.Context, email, nickname, passwordHash string, inviteHash []byte) (UserRecord, error) {
	if inviteHash == nil {
		return s.CreateUser(ctx, email, nickname, passwordHash)
	}
	var u UserRecord
	err := s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := consumeInvite(ctx, tx, inviteHash); err != nil {
			return err
		}
		var err error
		u, err = createUser(ctx, tx, email, nickname, passwordHash)
		return err
	})
	return u, err
}
