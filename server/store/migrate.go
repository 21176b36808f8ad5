package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun/migrate"

	"natter/migrations"
)

// migrateLockKey is the PostgreSQL advisory lock that serialises migrators,
// so several servers starting at once do not race to build the schema.
const migrateLockKey = 0x6e6174746572 // "natter"

// MigrationState is one migration as `natter migrate status` shows it.
type MigrationState struct {
	Name       string
	Comment    string
	Applied    bool
	GroupID    int64
	MigratedAt *time.Time
}

func (s *Store) migrator() *migrate.Migrator {
	return migrate.NewMigrator(s.DB, migrations.Migrations, migrate.WithMarkAppliedOnSuccess(true))
}

// withMigrateLock runs fn holding the advisory lock. bun's own Lock fails
// instead of waiting, which would make a second starting server exit.
func (s *Store) withMigrateLock(ctx context.Context, fn func(m *migrate.Migrator) error) error {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrateLockKey)); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(migrateLockKey))
	m := s.migrator()
	if err := m.Init(ctx); err != nil {
		return err
	}
	return fn(m)
}

// Migrate applies every migration not applied yet. It is safe to call from
// several processes at once and does nothing when the schema is current.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.withMigrateLock(ctx, func(m *migrate.Migrator) error {
		_, err := m.Migrate(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// MigrateDown rolls back the last group of applied migrations.
func (s *Store) MigrateDown(ctx context.Context) error {
	err := s.withMigrateLock(ctx, func(m *migrate.Migrator) error {
		_, err := m.Rollback(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: migrate down: %w", err)
	}
	return nil
}

// MigrationStatus lists every known migration, oldest first, with whether it
// has been applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	var out []MigrationState
	err := s.withMigrateLock(ctx, func(m *migrate.Migrator) error {
		ms, err := m.MigrationsWithStatus(ctx)
		if err != nil {
			return err
		}
		for _, mg := range ms {
			st := MigrationState{Name: mg.Name, Comment: mg.Comment, Applied: mg.IsApplied(), GroupID: mg.GroupID}
			if mg.IsApplied() {
				t := mg.MigratedAt.UTC()
				st.MigratedAt = &t
			}
			out = append(out, st)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	return out, nil
}

// LatestSchema is the name of the newest migration this build knows: a
// database or backup whose schema is newer was made by a newer Natter.
func LatestSchema() string {
	ms := migrations.Migrations.Sorted()
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].Name
}

// SchemaVersion returns the name of the newest migration applied to the
// database, or "" when none is (an empty database).
func (s *Store) SchemaVersion(ctx context.Context) (string, error) {
	var name string
	err := s.DB.NewRaw(`SELECT coalesce(max(name), '') FROM bun_migrations WHERE to_regclass('bun_migrations') IS NOT NULL`).Scan(ctx, &name)
	if pgCode(err) == "42P01" { // undefined_table: never migrated
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: schema version: %w", err)
	}
	return name, nil
}

// IsEmpty reports whether the database has no table of its own, so a
// restore into it cannot overwrite anything.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.NewRaw(`SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`).Scan(ctx, &n)
	if err != nil {
		return false, fmt.Errorf("store: is empty: %w", err)
	}
	return n == 0, nil
}
