package store

import (
	"context"
	"fmt"
	"regexp"

	"github.com/uptrace/bun"
)

// configName is what a text search configuration's name may look like once
// PostgreSQL has resolved it, so it can be written into DDL as a literal.
var configName = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)

// SearchLanguage returns the text search configuration messages are
// indexed with ('simple' unless an operator changed it).
func (s *Store) SearchLanguage(ctx context.Context) (string, error) {
	lang, err := searchLanguage(ctx, s.DB)
	if err != nil {
		return "", fmt.Errorf("store: search language: %w", err)
	}
	return lang, nil
}

// SetSearchLanguage re-indexes every message with another text search
// configuration ('english', 'german', 'simple'...: \dF in psql lists
// them). A language's configuration stems words and drops its stop words,
// which helps people who all write that language and hurts everyone else;
// 'simple' works for every language. Queries follow at once on every node,
// since they read the configuration from the column (searchLanguage).
//
// It rewrites the messages table under an exclusive lock: sends wait until
// it is done (about a minute per million messages), so run it when quiet.
func (s *Store) SetSearchLanguage(ctx context.Context, lang string) error {
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var name string
		if err := tx.NewRaw(`SELECT ?::regconfig::text`, lang).Scan(ctx, &name); err != nil {
			return fmt.Errorf("no text search configuration %q: %w", lang, err)
		}
		if !configName.MatchString(name) {
			return fmt.Errorf("unusual text search configuration name %q", name)
		}
		for _, q := range []string{
			`DROP INDEX IF EXISTS messages_search`,
			`ALTER TABLE messages DROP COLUMN IF EXISTS search`,
			// The expression of migrations/20261127170000_search.tx.up.sql,
			// with another configuration.
			`ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
				CASE WHEN deleted_at IS NULL AND kind = 'text' AND body <> ''
				THEN to_tsvector('` + name + `'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))
				END) STORED`,
			`CREATE INDEX messages_search ON messages USING gin (search)`, // as migrations/20261128100000_search_words
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set search language: %w", err)
	}
	return nil
}
