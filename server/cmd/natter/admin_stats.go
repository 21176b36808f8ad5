package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"natter/server/pgbroker"
	"natter/server/store"
)

// stats is what `natter admin stats` reports.
type stats struct {
	Users             int64           `json:"users" bun:"users"`
	DisabledUsers     int64           `json:"disabled_users" bun:"disabled_users"`
	Conversations     int64           `json:"conversations" bun:"conversations"`
	OpenConversations int64           `json:"open_conversations" bun:"open_conversations"`
	Messages          int64           `json:"messages" bun:"messages"`
	LiveSessions      int64           `json:"live_sessions" bun:"live_sessions"`
	Nodes             []pgbroker.Node `json:"nodes" bun:"-"`             // servers that sent a heartbeat lately
	Backups           *lastBackup     `json:"backups,omitempty" bun:"-"` // in NATTER_DATA/backups
}

func (a *admin) statsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "stats", Short: "Count users, conversations and messages, and live connections per server", Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			var s stats
			// One snapshot for all counts. count(*) on messages scans the
			// table; fine for an operator's occasional look.
			err := st.DB.NewRaw(`SELECT
				(SELECT count(*) FROM users) AS users,
				(SELECT count(*) FROM users WHERE disabled_at IS NOT NULL) AS disabled_users,
				(SELECT count(*) FROM conversations) AS conversations,
				(SELECT count(*) FROM conversations WHERE closed_at IS NULL) AS open_conversations,
				(SELECT count(*) FROM messages) AS messages,
				(SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > now()) AS live_sessions`).Scan(ctx, &s)
			if err != nil {
				return fmt.Errorf("count: %w", err)
			}
			if s.Nodes, err = pgbroker.Nodes(ctx, st.DB); err != nil {
				return err
			}
			if s.Nodes == nil {
				s.Nodes = []pgbroker.Node{}
			}
			if cfg, err := loadConfig(); err == nil {
				lb := backupsIn(backupDir(cfg))
				s.Backups = &lb
			}
			return a.print(c, s, func(w io.Writer) {
				table(w, "Users\t"+fmt.Sprintf("%d (%d disabled)", s.Users, s.DisabledUsers), func(tw io.Writer) {
					fmt.Fprintf(tw, "Conversations\t%d (%d open)\n", s.Conversations, s.OpenConversations)
					fmt.Fprintf(tw, "Messages\t%d\n", s.Messages)
					fmt.Fprintf(tw, "Live sessions\t%d\n", s.LiveSessions)
					if b := s.Backups; b != nil && b.At != nil {
						fmt.Fprintf(tw, "Backups\t%d in %s, newest %s\n", b.Count, b.Dir, when(*b.At))
					} else if b != nil {
						fmt.Fprintf(tw, "Backups\tnone in %s\n", b.Dir)
					}
				})
				fmt.Fprintln(w)
				if len(s.Nodes) == 0 {
					fmt.Fprintf(w, "Live connections: not available (no server reported in the last %v)\n", 3*pgbroker.HeartbeatInterval)
					return
				}
				table(w, "SERVER\tCONNECTIONS\tSTARTED\tLAST HEARTBEAT", func(tw io.Writer) {
					for _, n := range s.Nodes {
						fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", n.Name, n.Connections, when(n.StartedAt), n.SeenAt.Local().Format("15:04:05"))
					}
				})
			})
		}),
	}
}
