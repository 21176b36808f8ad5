package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"natter/server/store"
)

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, roll back or list schema migrations"}
	run := func(name, short string, fn func(ctx context.Context, c *cobra.Command, st *store.Store) error) *cobra.Command {
		return &cobra.Command{Use: name, Short: short, Args: cobra.NoArgs, RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			st, stop, err := openStore(c.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer stop()
			return fn(c.Context(), c, st)
		}}
	}
	cmd.AddCommand(
		run("up", "Apply every pending migration", func(ctx context.Context, c *cobra.Command, st *store.Store) error {
			if err := st.Migrate(ctx); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "migrations applied")
			return nil
		}),
		run("down", "Roll back the last group of migrations", func(ctx context.Context, c *cobra.Command, st *store.Store) error {
			if err := st.MigrateDown(ctx); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "last migration group rolled back")
			return nil
		}),
		run("status", "List migrations and whether they are applied", func(ctx context.Context, c *cobra.Command, st *store.Store) error {
			list, err := st.MigrationStatus(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MIGRATION\tSTATUS")
			for _, m := range list {
				state := "pending"
				if m.Applied {
					state = "applied"
				}
				fmt.Fprintf(tw, "%s\t%s\n", m.Name, state)
			}
			return tw.Flush()
		}),
	)
	return cmd
}
