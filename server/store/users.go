package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// UserRecord is a whole account row, for the account code and the admin
// CLI. Only its embedded shared.User may leave the server.
type UserRecord struct {
	shared.User
	PasswordHash string
	DisabledAt   *time.Time
	UpdatedAt    time.Time
}

// Disabled reports whether the operator has disabled the account.
func (u UserRecord) Disabled() bool { return u.DisabledAt != nil }

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Email        string     `bun:"email"`
	Nickname     string     `bun:"nickname"`
	PasswordHash string     `bun:"password_hash"`
	Admin        bool       `bun:"admin"`
	DisabledAt   *time.Time `bun:"disabled_at"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

const userColumns = "id, email, nickname, password_hash, admin, disabled_at, created_at, updated_at"

func (r userRow) record() UserRecord {
	return UserRecord{
		User:         shared.User{ID: r.ID, Nickname: r.Nickname, Email: r.Email, Admin: r.Admin, CreatedAt: utc(r.CreatedAt)},
		PasswordHash: r.PasswordHash,
		DisabledAt:   utcPtr(r.DisabledAt),
		UpdatedAt:    utc(r.UpdatedAt),
	}
}

// public is what other users may see: no email, and no admin flag, which
// would point attackers at the accounts most worth taking over.
func (r userRow) public() shared.User {
	return shared.User{ID: r.ID, Nickname: r.Nickname, CreatedAt: utc(r.CreatedAt)}
}

// takenError maps a unique-index violation on users to the form field it
// concerns; other errors pass through.
func takenError(err error) error {
	if pgCode(err) != "23505" {
		return err
	}
	switch pgConstraint(err) {
	case "users_email_key":
		return &shared.FieldError{Field: "email", Code: shared.CodeEmailTaken, Message: "An account with this email exists already."}
	case "users_nickname_key":
		return &shared.FieldError{Field: "nickname", Code: shared.CodeNicknameTaken, Message: "This nickname is taken; try another one."}
	}
	return err
}

// CreateUser adds an account. The email and nickname are checked again here
// (the HTTP layer checks first to show every problem at once), and a taken
// one, in any letter case, is a *shared.FieldError on its field.
func (s *Store) CreateUser(ctx context.Context, email, nickname, passwordHash string) (UserRecord, error) {
	return createUser(ctx, s.DB, email, nickname, passwordHash)
}

func createUser(ctx context.Context, db bun.IDB, email, nickname, passwordHash string) (UserRecord, error) {
	email = shared.NormalizeEmail(email)
	if fe := shared.ValidateEmail(email); fe != nil {
		return UserRecord{}, fe
	}
	if fe := shared.ValidateNickname(nickname); fe != nil {
		return UserRecord{}, fe
	}
	if passwordHash == "" {
		return UserRecord{}, errors.New("store: create user: empty password hash")
	}
	var row userRow
	err := db.NewRaw(`INSERT INTO users (email, nickname, password_hash) VALUES (?, ?, ?) RETURNING `+userColumns,
		email, nickname, passwordHash).Scan(ctx, &row)
	if err != nil {
		return UserRecord{}, wrap("create user", takenError(err))
	}
	return row.record(), nil
}

// Taken reports whether an account uses email or nickname already, in any
// letter case. Registration asks before it spends an argon2 hash; the
// unique indexes still decide a race.
func (s *Store) Taken(ctx context.Context, email, nickname string) (emailTaken, nicknameTaken bool, err error) {
	err = s.DB.NewRaw(`SELECT
		EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(?)),
		EXISTS (SELECT 1 FROM users WHERE lower(nickname) = lower(?))`,
		shared.NormalizeEmail(email), nickname).Scan(ctx, &emailTaken, &nicknameTaken)
	if err != nil {
		return false, false, fmt.Errorf("store: taken: %w", err)
	}
	return emailTaken, nicknameTaken, nil
}

func (s *Store) oneUser(ctx context.Context, op, where string, args ...any) (UserRecord, error) {
	var row userRow
	err := s.DB.NewRaw("SELECT "+userColumns+" FROM users WHERE "+where, args...).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return UserRecord{}, ErrNoUser
	}
	if err != nil {
		return UserRecord{}, fmt.Errorf("store: %s: %w", op, err)
	}
	return row.record(), nil
}

// UserByID returns an account, disabled or not, or ErrNoUser.
func (s *Store) UserByID(ctx context.Context, id int64) (UserRecord, error) {
	return s.oneUser(ctx, "user by id", "id = ?", id)
}

// UserByLogin finds the account whose email or nickname is login, ignoring
// letter case. The two cannot collide: nicknames never contain '@'.
func (s *Store) UserByLogin(ctx context.Context, login string) (UserRecord, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return UserRecord{}, ErrNoUser
	}
	return s.oneUser(ctx, "user by login", "lower(email) = lower(?) OR lower(nickname) = lower(?) LIMIT 1", login, login)
}

// UpdateUser changes the fields that are not nil and returns the account
// after the change. A taken email or nickname is a *shared.FieldError.
func (s *Store) UpdateUser(ctx context.Context, id int64, nickname, email, passwordHash *string) (UserRecord, error) {
	q := s.DB.NewUpdate().Table("users").Set("updated_at = now()").Where("id = ?", id)
	if nickname != nil {
		if fe := shared.ValidateNickname(*nickname); fe != nil {
			return UserRecord{}, fe
		}
		q = q.Set("nickname = ?", *nickname)
	}
	if email != nil {
		e := shared.NormalizeEmail(*email)
		if fe := shared.ValidateEmail(e); fe != nil {
			return UserRecord{}, fe
		}
		q = q.Set("email = ?", e)
	}
	if passwordHash != nil {
		if *passwordHash == "" {
			return UserRecord{}, errors.New("store: update user: empty password hash")
		}
		q = q.Set("password_hash = ?", *passwordHash)
	}
	var row userRow
	err := q.Returning(userColumns).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return UserRecord{}, ErrNoUser
	}
	if err != nil {
		return UserRecord{}, wrap("update user", takenError(err))
	}
	return row.record(), nil
}

func (s *Store) setUserFlag(ctx context.Context, op, set string, id int64) error {
	res, err := s.DB.NewRaw("UPDATE users SET "+set+", updated_at = now() WHERE id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoUser
	}
	return nil
}

// SetUserDisabled disables or enables an account. A disabled account keeps
// its data but its sessions stop working (SessionByTokenHash refuses them)
// and nobody can add it to a conversation. Disabling twice keeps the first time.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	set := "disabled_at = NULL"
	if disabled {
		set = "disabled_at = coalesce(disabled_at, now())"
	}
	return s.setUserFlag(ctx, "set user disabled", set, id)
}

// SetUserAdmin grants or withdraws the admin flag.
func (s *Store) SetUserAdmin(ctx context.Context, id int64, admin bool) error {
	return s.setUserFlag(ctx, "set user admin", fmt.Sprintf("admin = %t", admin), id)
}

// Search page sizes.
const (
	SearchDefault = 20
	SearchMax     = 100
)

// escapeLike makes s match itself literally in a LIKE pattern that uses
// backslash as its escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchUsers finds enabled users whose nickname starts with prefix (any
// letter case), ordered by lower-cased nickname, for the "add people" box.
// after is the Next of the previous page. It never returns emails or the
// admin flag.
//
// Order and paging use the byte order of lower(nickname) (the ~<~
// operators), because that is the order of the users_nickname_prefix
// text_pattern_ops index: the prefix match, the page start and the ORDER BY
// are then all one index range scan, whatever the database collation.
func (s *Store) SearchUsers(ctx context.Context, prefix, after string, limit int, excludeID int64) ([]shared.User, string, error) {
	if limit <= 0 {
		limit = SearchDefault
	}
	limit = min(limit, SearchMax)
	prefix = strings.TrimSpace(prefix)
	type searchRow struct {
		ID        int64     `bun:"id"`
		Nickname  string    `bun:"nickname"`
		CreatedAt time.Time `bun:"created_at"`
		Key       string    `bun:"key"`
	}
	var rows []searchRow
	err := s.DB.NewRaw(`
		SELECT id, nickname, created_at, lower(nickname) AS key
		FROM users
		WHERE lower(nickname) LIKE lower(?) || '%' ESCAPE '\'
		  AND lower(nickname) ~>~ ?
		  AND disabled_at IS NULL
		  AND id <> ?
		ORDER BY lower(nickname) USING ~<~
		LIMIT ?`, escapeLike(prefix), after, excludeID, limit+1).Scan(ctx, &rows)
	if err != nil {
		return nil, "", fmt.Errorf("store: search users: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].Key
	}
	users := make([]shared.User, len(rows))
	for i, r := range rows {
		users[i] = shared.User{ID: r.ID, Nickname: r.Nickname, CreatedAt: utc(r.CreatedAt)}
	}
	return users, next, nil
}

// ListUsers returns every account, oldest first, for the admin CLI.
func (s *Store) ListUsers(ctx context.Context) ([]UserRecord, error) {
	var rows []userRow
	if err := s.DB.NewRaw("SELECT "+userColumns+" FROM users ORDER BY id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	out := make([]UserRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// UserCount returns the number of accounts, disabled ones included.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := s.DB.NewRaw("SELECT count(*) FROM users").Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("store: user count: %w", err)
	}
	return n, nil
}

// UsersByIDs returns the public profiles of the given users, in id order;
// unknown ids are left out.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) ([]shared.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []userRow
	err := s.DB.NewRaw("SELECT "+userColumns+" FROM users WHERE id = ANY(?::bigint[]) ORDER BY id", pgdialect.Array(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: users by ids: %w", err)
	}
	out := make([]shared.User, len(rows))
	for i, r := range rows {
		out[i] = r.public()
	}
	return out, nil
}
