package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"natter/server/store"
)

// invitesCmd manages the invite codes that NATTER_SIGNUP=invite asks for.
func (a *admin) invitesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "invites", Short: "Create, list and revoke invite codes (for NATTER_SIGNUP=invite)"}
	var uses int
	var expires string
	create := &cobra.Command{
		Use:   "create [--uses N] [--expires 7d]",
		Short: "Create an invite code and print it; only its hash is stored, so note it now",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			return a.invitesCreate(ctx, c, st, uses, expires)
		}),
	}
	create.Flags().IntVar(&uses, "uses", 1, "how many accounts the code may create")
	create.Flags().StringVar(&expires, "expires", "7d", `how long the code works: days ("7d"), a duration ("12h", "90m") or "never"`)
	list := &cobra.Command{
		Use: "list", Short: "List invites, newest first", Args: cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			return a.invitesList(ctx, c, st)
		}),
	}
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Stop an invite code from creating more accounts", Args: cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			return a.invitesRevoke(ctx, c, st, args[0])
		}),
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// parseExpiry reads --expires: "never", whole days ("7d") or a Go duration.
func parseExpiry(s string, now time.Time) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "never" {
		return nil, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			return nil, fmt.Errorf(`--expires %q: give whole days from 1 to 3650 ("7d"), a duration ("12h") or "never"`, s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return nil, fmt.Errorf(`--expires %q: give whole days ("7d"), a positive duration ("12h") or "never"`, s)
		}
	}
	t := now.Add(d)
	return &t, nil
}

// createdInvite is what create prints with --json: the only time the code
// is shown.
type createdInvite struct {
	store.Invite
	Code string `json:"code"`
}

func (a *admin) invitesCreate(ctx context.Context, c *cobra.Command, st *store.Store, uses int, expires string) error {
	if uses < 1 {
		return fmt.Errorf("--uses must be at least 1, not %d", uses)
	}
	exp, err := parseExpiry(expires, time.Now())
	if err != nil {
		return err
	}
	inv, code, err := st.CreateInvite(ctx, uses, exp)
	if err != nil {
		return err
	}
	return a.print(c, createdInvite{Invite: inv, Code: code}, func(w io.Writer) {
		fmt.Fprintln(w, code)
		fmt.Fprintf(w, "invite %d: %d uses, expires %s. Only a hash is stored: this is the only time the code is shown.\n",
			inv.ID, inv.MaxUses, expiryText(inv.ExpiresAt))
	})
}

func expiryText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return when(*t)
}

// inviteState names an invite's state for the table.
func inviteState(inv store.Invite, now time.Time) string {
	switch {
	case inv.RevokedAt != nil:
		return "revoked"
	case inv.Uses >= inv.MaxUses:
		return "used up"
	case inv.ExpiresAt != nil && !inv.ExpiresAt.After(now):
		return "expired"
	}
	return "active"
}

func (a *admin) invitesList(ctx context.Context, c *cobra.Command, st *store.Store) error {
	invites, err := st.ListInvites(ctx)
	if err != nil {
		return err
	}
	if invites == nil {
		invites = []store.Invite{}
	}
	now := time.Now()
	return a.print(c, invites, func(w io.Writer) {
		table(w, "ID\tSTATE\tUSES\tEXPIRES\tCREATED", func(tw io.Writer) {
			for _, inv := range invites {
				fmt.Fprintf(tw, "%d\t%s\t%d/%d\t%s\t%s\n", inv.ID, inviteState(inv, now), inv.Uses, inv.MaxUses,
					expiryText(inv.ExpiresAt), when(inv.CreatedAt))
			}
		})
	})
}

func (a *admin) invitesRevoke(ctx context.Context, c *cobra.Command, st *store.Store, ref string) error {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("invite ID must be a positive number, not %q: see `natter admin invites list`", ref)
	}
	if err := st.RevokeInvite(ctx, id); errors.Is(err, store.ErrNoInvite) {
		return fmt.Errorf("no invite %d: see `natter admin invites list`", id)
	} else if err != nil {
		return err
	}
	return a.print(c, map[string]int64{"revoked_invite": id}, func(w io.Writer) {
		fmt.Fprintf(w, "revoked invite %d\n", id)
	})
}
