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
