// Package migrations embeds the SQL that builds Natter's schema, for
// bun/migrate. Each file runs in its own transaction (the .tx. infix).
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// Migrations is the set of all migrations, discovered from the embedded files.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(files); err != nil {
		panic("migrations: " + err.Error())
	}
}
