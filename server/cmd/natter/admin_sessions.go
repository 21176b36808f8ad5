package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"natter/server/pgbroker"
	"natter/server/store"
	"natter/shared"
)

// adminSession is a live session with its user's nickname.
type adminSession struct {
	shared.Session
	Nickname string `json:"nickname"`
}

// sessionRevokedReason is what a user whose session the operator revoked
// reads before the app signs them out.
const sessionRevokedReason = "An administrator signed this device out. Please sign in again."

func (a *admin) sessionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sessions", Short: "List and revoke signed-in sessions"}
	var listUser string
	list := &cobra.Command{
		Use: "list [--user USER]", Short: "List live sessions, most recently used first", Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			return a.sessionsList(ctx, c, st, listUser)
		}),
	}
	list.Flags().StringVar(&listUser, "user", "", "only this user's sessions")
	var revokeUser string
	revoke := &cobra.Command{
		Use:   "revoke ID | --user USER",
		Short: "End a session, or every session of a user, and disconnect it from every server",
		Args:  cobra.MaximumNArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			return a.sessionsRevoke(ctx, c, st, args, revokeUser)
		}),
	}
	revoke.Flags().StringVar(&revokeUser, "user", "", "revoke every session of this user")
	cmd.AddCommand(list, revoke)
	return cmd
}

func (a *admin) sessionsList(ctx context.Context, c *cobra.Command, st *store.Store, userRef string) error {
	var userID int64
	if userRef != "" {
		u, err := findUser(ctx, st, userRef)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	sessions, err := st.ListSessions(ctx, userID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range sessions {
		ids = append(ids, s.UserID)
	}
	users, err := st.UsersByIDs(ctx, ids)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Nickname
	}
	out := make([]adminSession, len(sessions))
	for i, s := range sessions {
		out[i] = adminSession{Session: s, Nickname: names[s.UserID]}
	}
	return a.print(c, out, func(w io.Writer) {
		table(w, "ID\tUSER\tDEVICE\tCREATED\tLAST SEEN\tEXPIRES", func(tw io.Writer) {
			for _, s := range out {
				fmt.Fprintf(tw, "%d\t%s (%d)\t%s\t%s\t%s\t%s\n", s.ID, s.Nickname, s.UserID, shorten(s.UserAgent, 40),
					when(s.CreatedAt), when(s.LastSeenAt), when(s.ExpiresAt))
			}
		})
	})
}

// shorten cuts s to n characters with an ellipsis, for table cells.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// revokeResult is what revoke prints with --json.
type revokeResult struct {
	Revoked []int64 `json:"revoked_sessions"`
}

func (a *admin) sessionsRevoke(ctx context.Context, c *cobra.Command, st *store.Store, args []string, userRef string) error {
	var ids []int64
	switch {
	case len(args) == 1 && userRef != "":
		return errors.New("give a session ID or --user USER, not both")
	case len(args) == 0 && userRef == "":
		return errors.New("give the session ID to revoke, or --user USER to revoke all of a user's sessions")
	case userRef != "":
		u, err := findUser(ctx, st, userRef)
		if err != nil {
			return err
		}
		if ids, err = revokeAll(ctx, st, u.ID, sessionRevokedReason); err != nil {
			return err
		}
	default:
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("session ID must be a positive number, not %q: see `natter admin sessions list`", args[0])
		}
		if err := st.RevokeSession(ctx, id); errors.Is(err, store.ErrNoSession) {
			return fmt.Errorf("no session %d: see `natter admin sessions list`", id)
		} else if err != nil {
			return err
		}
		ctl := pgbroker.Control{Kind: pgbroker.KindDisconnectSession, SessionID: id, Reason: sessionRevokedReason}
		if err := pgbroker.Notify(ctx, st.DB, ctl); err != nil {
			return fmt.Errorf("session %d is revoked, but running servers were not told to disconnect it: %w", id, err)
		}
		ids = []int64{id}
	}
	return a.print(c, revokeResult{Revoked: ids}, func(w io.Writer) {
		fmt.Fprintf(w, "revoked %d sessions %v; running servers disconnect them now\n", len(ids), ids)
	})
}
