package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"natter/server/pgbroker"
	"natter/server/store"
	"natter/server/web"
	"natter/shared"
)

// usersExportCmd writes a person's data, the same JSON as "Download my
// data" in the app, for an operator answering a request made another way.
func (a *admin) usersExportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use: "export USER [--out FILE]", Short: "Write everything a user's account holds as JSON (what \"Download my data\" gives)",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			u, err := findUser(ctx, st, args[0])
			if err != nil {
				return err
			}
			exp, err := st.ExportAccount(ctx, u.ID)
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			if out != "" {
				// The export holds an email and private messages: only the
				// operator's account may read the file.
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				defer f.Close()
				w = f
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(exp); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if out != "" {
				fmt.Fprintf(c.ErrOrStderr(), "wrote the data of %s to %s\n", userLabel(u), out)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&out, "out", "", "write to FILE (mode 0600) instead of standard output")
	return cmd
}

// deletedSummary is what `users delete` prints.
type deletedSummary struct {
	UserID               int64  `json:"user_id"`
	Nickname             string `json:"nickname"`
	Sessions             int    `json:"sessions_closed"`
	Conversations        int    `json:"conversations_left"`
	ErasedMessages       int    `json:"messages_erased"`
	DroppedConversations int    `json:"conversations_deleted"`
}

// usersDeleteCmd deletes an account as "Delete my account" does (see
// store.DeleteAccount), and tells running servers to close the person's
// connections and show the other members the change.
func (a *admin) usersDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use: "delete USER --yes", Short: "Delete a user for good: account, sessions, memberships; their messages are erased",
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			u, err := findUser(ctx, st, args[0])
			if err != nil {
				return err
			}
			if !yes {
				return fmt.Errorf("this deletes %s and erases their messages for good; add --yes to do it", userLabel(u))
			}
			d, err := st.DeleteAccount(ctx, u.ID)
			if errors.Is(err, store.ErrNoUser) {
				return fmt.Errorf("%s was deleted meanwhile", userLabel(u))
			}
			if err != nil {
				return err
			}
			cs := make([]pgbroker.Control, 0, len(d.SessionIDs)+1)
			for _, id := range d.SessionIDs {
				cs = append(cs, pgbroker.Control{Kind: pgbroker.KindDisconnectSession, SessionID: id, Reason: shared.AccountDeletedMessage})
			}
			if evs := web.AccountDeletedEvents(d); len(evs) > 0 {
				cs = append(cs, pgbroker.Control{Kind: pgbroker.KindPublish, Events: evs})
			}
			if len(cs) > 0 {
				if err := pgbroker.Notify(ctx, st.DB, cs...); err != nil {
					return fmt.Errorf("%s is deleted, but running servers were not told: %w", userLabel(u), err)
				}
			}
			sum := deletedSummary{UserID: d.UserID, Nickname: d.Nickname, Sessions: len(d.SessionIDs),
				Conversations: len(d.Conversations), ErasedMessages: len(d.Erased), DroppedConversations: d.Dropped}
			return a.print(c, sum, func(w io.Writer) {
				fmt.Fprintf(w, "deleted %s: %d sessions closed, %d messages erased, left %d conversations (%d deleted with nobody left)\n",
					userLabel(u), sum.Sessions, sum.ErasedMessages, sum.Conversations, sum.DroppedConversations)
			})
		}),
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm: the deletion cannot be undone")
	return cmd
}
