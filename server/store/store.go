// Package store keeps Natter's durable state in PostgreSQL through bun.
//
// It speaks plain SQL: one file per entity, row structs with bun tags kept
// here (never in shared), and every durable action applied at most once
// through the applied_actions table (see actions.go). Domain failures come
// back as *shared.Error (or *shared.FieldError for account fields) so callers
// can hand them to the user unchanged; everything else is wrapped with the
// operation that failed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"natter/shared"
)

// Store is the database handle every server part shares. BodyMax is the
// server's message length limit in characters; zero means
// shared.DefaultBodyMax. SearchTimeout is the time budget of one search
// statement; zero means DefaultSearchTimeout.
type Store struct {
	DB            *bun.DB
	BodyMax       int
	SearchTimeout time.Duration
}

// Open connects to PostgreSQL at dsn (a postgres:// URL) and checks the
// connection, so a wrong address fails at start rather than on first use.
func Open(dsn string) (*Store, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	// Transactions are short and the group-commit path batches writes, so a
	// few connections per core keep PostgreSQL busy without thrashing it.
	n := max(8, 4*runtime.GOMAXPROCS(0))
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New(), bun.WithDiscardUnknownColumns())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return New(db), nil
}

// New wraps an open database, such as the one the test fixture gives.
func New(db *bun.DB) *Store {
	return &Store{DB: db, BodyMax: shared.DefaultBodyMax}
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if err := s.DB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// RunInTx runs fn in a transaction that commits when fn returns nil and rolls
// back otherwise, so callers can combine several store steps atomically.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.DB.RunInTx(ctx, nil, fn)
}

func (s *Store) bodyMax() int {
	if s.BodyMax > 0 {
		return s.BodyMax
	}
	return shared.DefaultBodyMax
}

// Errors for missing rows. They are shared values: compare with errors.Is or
// read their Code with errors.As, and never modify them.
var (
	// ErrNoUser is returned when a user id or login matches no account.
	ErrNoUser = &shared.Error{Code: shared.CodeUserNotFound, Message: "No such user."}
	// ErrNoSession is returned for a session that does not exist, was
	// revoked, expired, or belongs to a disabled account: all of them mean
	// "sign in again".
	ErrNoSession = &shared.Error{Code: shared.CodeUnauthorized, Message: "Your session has ended. Please sign in again."}
	// ErrNoKey is returned by Key when no server key has that name.
	ErrNoKey = errors.New("store: no such key")
)

// notFound is the one answer for a conversation that does not exist and for
// one the user is not a member of, so a non-member learns nothing.
func notFound() error {
	return &shared.Error{Code: shared.CodeNotFound, Message: "Conversation not found, or you are not a member of it."}
}

func domainErr(code, msg string) error {
	return &shared.Error{Code: code, Message: msg}
}

// fieldErr turns a validation failure into the WebSocket error shape.
func fieldErr(fe *shared.FieldError) error {
	return &shared.Error{Code: fe.Code, Message: fe.Message, Field: fe.Field}
}

// isDomain reports whether err is meant for the user, and so must not be
// wrapped or retried.
func isDomain(err error) bool {
	var e *shared.Error
	var fe *shared.FieldError
	return errors.As(err, &e) || errors.As(err, &fe)
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}

// pgConstraint returns the constraint or index a PostgreSQL error names.
func pgConstraint(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('n')
	}
	return ""
}

// Unique violation, serialization failure and deadlock: a concurrent
// transaction won, and running the whole transaction again settles it.
func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	switch pgCode(err) {
	case "23505", "40001", "40P01":
		return true
	}
	return false
}

func wrap(op string, err error) error {
	if err == nil || isDomain(err) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// utc drops the location so values compare equal after a JSON round trip.
func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
