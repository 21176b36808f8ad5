package migrations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"

	"natter/migrations"
	"natter/server/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tables are all the tables the migrations create.
var tables = []string{
	"users", "sessions", "conversations", "conversation_members", "messages",
	"seen_history", "applied_actions", "push_subscriptions", "server_keys", "invites",
	"message_edits", "message_reactions",
}

// existing returns which of tables exist in db.
func existing(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var found []string
	for _, name := range tables {
		var ok bool
		if err := db.QueryRowContext(context.Background(), "SELECT to_regclass(?) IS NOT NULL", name).Scan(&ok); err != nil {
			t.Fatalf("to_regclass(%s): %v", name, err)
		}
		if ok {
			found = append(found, name)
		}
	}
	return found
}

func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Open(t, pgtest.MustEmptyDSN(t))
	m := migrate.NewMigrator(db, migrations.Migrations)
	if err := m.Init(ctx); err != nil {
		t.Fatalf("init: %v", err)
	}

	up := func(step string) {
		t.Helper()
		group, err := m.Migrate(ctx)
		if err != nil {
			t.Fatalf("%s: migrate: %v", step, err)
		}
		if group.IsZero() {
			t.Fatalf("%s: migrate applied nothing", step)
		}
		if got := existing(t, db); len(got) != len(tables) {
			t.Fatalf("%s: tables %v, want all of %v", step, got, tables)
		}
	}

	up("first up")
	if group, err := m.Migrate(ctx); err != nil || !group.IsZero() {
		t.Fatalf("second migrate: group %v, err %v; want nothing to do", group, err)
	}

	// Down: roll back every group.
	for i := 0; ; i++ {
		group, err := m.Rollback(ctx)
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if group.IsZero() {
			break
		}
		if i > len(migrations.Migrations.Sorted()) {
			t.Fatal("rollback never reaches an empty group")
		}
	}
	if got := existing(t, db); len(got) != 0 {
		t.Fatalf("after rollback tables %v remain", got)
	}
	applied, err := m.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("after rollback %d migrations still marked applied", len(applied))
	}

	up("up again")
}

// Fixed ids for the constraint tests.
const (
	conv = "01890000-0000-7000-8000-000000000001"
	actA = "01890000-0000-7000-8000-0000000000aa"
)

// seed inserts two users (ids 1 and 2) and one conversation, the rows every
// constraint case builds on.
const seed = `
INSERT INTO users (id, email, nickname, password_hash) VALUES
	(1, 'alice@example.com', 'Alice', 'x'),
	(2, 'bob@example.com', 'Bob', 'x');
SELECT setval('users_id_seq', 2);
INSERT INTO conversations (id, created_by) VALUES ('` + conv + `', 1);
`

func TestConstraints(t *testing.T) {
	tests := []struct {
		name       string
		setup      []string // run first; must succeed
		ok         []string // allowed next to setup: the constraint is not too broad
		bad        string   // must fail with a unique violation...
		constraint string   // ...of this index or constraint
	}{
		{
			name:  "one owner per conversation",
			setup: []string{`INSERT INTO conversation_members (conversation_id, user_id, owner) VALUES ('` + conv + `', 1, true)`},
			ok: []string{
				`INSERT INTO conversation_members (conversation_id, user_id, owner) VALUES ('` + conv + `', 2, false)`,
				`DELETE FROM conversation_members WHERE user_id = 2`,
			},
			bad:        `INSERT INTO conversation_members (conversation_id, user_id, owner) VALUES ('` + conv + `', 2, true)`,
			constraint: "conversation_members_one_owner",
		},
		{
			name:       "seq unique in a conversation",
			setup:      []string{`INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ('` + conv + `', 1, 1, 'hi')`},
			ok:         []string{`INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ('` + conv + `', 2, 1, 'hi')`},
			bad:        `INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ('` + conv + `', 1, 2, 'again')`,
			constraint: "messages_conversation_seq",
		},
		{
			name:  "action applied once per sender",
			setup: []string{`INSERT INTO messages (conversation_id, seq, sender_id, body, action_id) VALUES ('` + conv + `', 1, 1, 'hi', '` + actA + `')`},
			ok: []string{
				// Another sender may reuse the id; messages without one never clash.
				`INSERT INTO messages (conversation_id, seq, sender_id, body, action_id) VALUES ('` + conv + `', 2, 2, 'hi', '` + actA + `')`,
				`INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ('` + conv + `', 3, 1, 'a')`,
				`INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ('` + conv + `', 4, 1, 'b')`,
			},
			bad:        `INSERT INTO messages (conversation_id, seq, sender_id, body, action_id) VALUES ('` + conv + `', 5, 1, 'twice', '` + actA + `')`,
			constraint: "messages_sender_action",
		},
		{
			name:       "email unique ignoring case",
			ok:         []string{`INSERT INTO users (email, nickname, password_hash) VALUES ('carol@example.com', 'Carol', 'x')`},
			bad:        `INSERT INTO users (email, nickname, password_hash) VALUES ('ALICE@Example.COM', 'Alice2', 'x')`,
			constraint: "users_email_key",
		},
		{
			name:       "nickname unique ignoring case",
			ok:         []string{`INSERT INTO users (email, nickname, password_hash) VALUES ('dave@example.com', 'Dave', 'x')`},
			bad:        `INSERT INTO users (email, nickname, password_hash) VALUES ('bob2@example.com', 'bOB', 'x')`,
			constraint: "users_nickname_key",
		},
		{
			name:       "nickname case folding beyond ASCII",
			setup:      []string{`INSERT INTO users (email, nickname, password_hash) VALUES ('zoe@example.com', 'Zoë', 'x')`},
			bad:        `INSERT INTO users (email, nickname, password_hash) VALUES ('zoe2@example.com', 'ZOË', 'x')`,
			constraint: "users_nickname_key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := pgtest.MustDB(t)
			for _, q := range append(append([]string{seed}, tt.setup...), tt.ok...) {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			_, err := db.ExecContext(ctx, tt.bad)
			var pgErr pgdriver.Error
			if !errors.As(err, &pgErr) {
				t.Fatalf("%s: err = %v, want a unique violation", tt.bad, err)
			}
			if code, name := pgErr.Field('C'), pgErr.Field('n'); code != "23505" || name != tt.constraint {
				t.Fatalf("%s: SQLSTATE %s on %q, want 23505 on %q (%v)", tt.bad, code, name, tt.constraint, err)
			}
		})
	}
}
