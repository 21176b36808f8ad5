package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"natter/server/password"
	"natter/server/pgbroker"
	"natter/server/store"
	"natter/shared"
)

// adminUser is a user as the CLI prints it: never the password hash.
type adminUser struct {
	ID         int64      `json:"id"`
	Nickname   string     `json:"nickname"`
	Email      string     `json:"email"`
	Admin      bool       `json:"admin"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toAdminUser(u store.UserRecord) adminUser {
	return adminUser{ID: u.ID, Nickname: u.Nickname, Email: u.Email, Admin: u.Admin, DisabledAt: u.DisabledAt, CreatedAt: u.CreatedAt}
}

func (a *admin) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "List, create, disable and promote users"}
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List every user", Args: cobra.NoArgs,
			RunE: a.runE(a.usersList),
		},
		a.usersCreateCmd(),
		a.userFlagCmd("disable", "Disable a user and disconnect them from every server", true),
		a.userFlagCmd("enable", "Enable a disabled user", false),
		a.usersResetCmd(),
		a.userAdminCmd("promote", "Make a user an administrator", true),
		a.userAdminCmd("demote", "Take administrator rights away from a user", false),
		a.usersExportCmd(),
		a.usersDeleteCmd(),
	)
	return cmd
}

func (a *admin) usersList(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	out := make([]adminUser, len(users))
	for i, u := range users {
		out[i] = toAdminUser(u)
	}
	return a.print(c, out, func(w io.Writer) {
		table(w, "ID\tNICKNAME\tEMAIL\tADMIN\tDISABLED\tCREATED", func(tw io.Writer) {
			for _, u := range out {
				admin := "-"
				if u.Admin {
					admin = "yes"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Nickname, u.Email, admin, whenPtr(u.DisabledAt), when(u.CreatedAt))
			}
		})
	})
}

func (a *admin) usersCreateCmd() *cobra.Command {
	var email, nickname, pass string
	var makeAdmin bool
	cmd := &cobra.Command{
		Use:   "create --email EMAIL --nickname NICK [--password PASS]",
		Short: "Create a user; the password comes from --password or standard input",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, _ []string) error {
			pw := pass
			if !c.Flags().Changed("password") {
				var err error
				if pw, err = readPassword(c, "Password for "+nickname); err != nil {
					return err
				}
			}
			if fe := shared.ValidatePassword("password", pw); fe != nil {
				return fe
			}
			hash, err := password.Hash(pw)
			if err != nil {
				return err
			}
			u, err := st.CreateUser(ctx, email, nickname, hash)
			if err != nil {
				return err
			}
			if makeAdmin {
				if err := st.SetUserAdmin(ctx, u.ID, true); err != nil {
					return err
				}
				u.Admin = true
			}
			return a.print(c, toAdminUser(u), func(w io.Writer) {
				fmt.Fprintf(w, "created user %s, %s\n", userLabel(u), u.Email)
			})
		}),
	}
	cmd.Flags().StringVar(&email, "email", "", "the user's email (required)")
	cmd.Flags().StringVar(&nickname, "nickname", "", "the user's nickname (required)")
	cmd.Flags().StringVar(&pass, "password", "", "the password (default: read a line from standard input)")
	cmd.Flags().BoolVar(&makeAdmin, "admin", false, "make the user an administrator")
	_ = cmd.MarkFlagRequired("email")
	_ = cmd.MarkFlagRequired("nickname")
	return cmd
}

// readPassword reads one line from standard input, prompting on a terminal
// (the typing is visible: pipe the password in to keep it off the screen).
func readPassword(c *cobra.Command, prompt string) (string, error) {
	in := c.InOrStdin()
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.ErrOrStderr(), "%s (visible as you type): ", prompt)
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: give --password or write it on standard input")
	}
	return line, nil
}

// userFlagCmd makes disable and enable. Disabling also tells every running
// server to disconnect the user; their sessions stay, refused while the
// account is disabled, and work again after enable.
func (a *admin) userFlagCmd(name, short string, disable bool) *cobra.Command {
	return &cobra.Command{
		Use: name + " USER", Short: short, Args: cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			u, err := findUser(ctx, st, args[0])
			if err != nil {
				return err
			}
			was := u.Disabled()
			if err := st.SetUserDisabled(ctx, u.ID, disable); err != nil {
				return err
			}
			if disable {
				if err := pgbroker.Notify(ctx, st.DB, pgbroker.Control{Kind: pgbroker.KindDisconnectUser, UserID: u.ID}); err != nil {
					return fmt.Errorf("%s is disabled, but running servers were not told to disconnect them: %w", userLabel(u), err)
				}
			}
			if u, err = st.UserByID(ctx, u.ID); err != nil {
				return err
			}
			return a.print(c, toAdminUser(u), func(w io.Writer) {
				switch {
				case disable && was:
					fmt.Fprintf(w, "%s was disabled already; running servers were told again to disconnect them\n", userLabel(u))
				case disable:
					fmt.Fprintf(w, "disabled %s; running servers disconnect them now\n", userLabel(u))
				case was:
					fmt.Fprintf(w, "enabled %s\n", userLabel(u))
				default:
					fmt.Fprintf(w, "%s was not disabled\n", userLabel(u))
				}
			})
		}),
	}
}

func (a *admin) userAdminCmd(name, short string, makeAdmin bool) *cobra.Command {
	return &cobra.Command{
		Use: name + " USER", Short: short, Args: cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			u, err := findUser(ctx, st, args[0])
			if err != nil {
				return err
			}
			if err := st.SetUserAdmin(ctx, u.ID, makeAdmin); err != nil {
				return err
			}
			u.Admin = makeAdmin
			return a.print(c, toAdminUser(u), func(w io.Writer) {
				if makeAdmin {
					fmt.Fprintf(w, "%s is an administrator\n", userLabel(u))
				} else {
					fmt.Fprintf(w, "%s is not an administrator\n", userLabel(u))
				}
			})
		}),
	}
}

// resetResult is what reset-password prints with --json.
type resetResult struct {
	User     adminUser `json:"user"`
	Password string    `json:"password,omitempty"` // only when generated
	Revoked  []int64   `json:"revoked_sessions"`
}

// usersResetCmd sets a new password and signs the user out everywhere, as
// a reset after a leak must.
func (a *admin) usersResetCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "reset-password USER",
		Short: "Set a new password (generated and printed, or read from standard input) and sign the user out everywhere",
		Args:  cobra.ExactArgs(1),
		RunE: a.runE(func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error {
			u, err := findUser(ctx, st, args[0])
			if err != nil {
				return err
			}
			res := resetResult{Revoked: []int64{}}
			pw := rand.Text()
			if fromStdin {
				if pw, err = readPassword(c, "New password for "+u.Nickname); err != nil {
					return err
				}
				if fe := shared.ValidatePassword("password", pw); fe != nil {
					return fe
				}
			} else {
				res.Password = pw
			}
			hash, err := password.Hash(pw)
			if err != nil {
				return err
			}
			if u, err = st.UpdateUser(ctx, u.ID, nil, nil, &hash); err != nil {
				return err
			}
			res.User = toAdminUser(u)
			if res.Revoked, err = revokeAll(ctx, st, u.ID, "Your password was reset. Please sign in again."); err != nil {
				return fmt.Errorf("the password of %s is changed, but: %w", userLabel(u), err)
			}
			return a.print(c, res, func(w io.Writer) {
				if res.Password != "" {
					fmt.Fprintf(w, "new password for %s: %s\n", userLabel(u), res.Password)
				} else {
					fmt.Fprintf(w, "password of %s changed\n", userLabel(u))
				}
				fmt.Fprintf(w, "signed out of %d sessions\n", len(res.Revoked))
			})
		}),
	}
	cmd.Flags().BoolVar(&fromStdin, "stdin", false, "read the new password from standard input instead of generating one")
	return cmd
}

// revokeAll ends every session of a user and tells running servers to
// close their connections, with reason shown to the user.
func revokeAll(ctx context.Context, st *store.Store, userID int64, reason string) ([]int64, error) {
	ids, err := st.RevokeUserSessions(ctx, userID, 0)
	if err != nil {
		return nil, err
	}
	cs := make([]pgbroker.Control, len(ids))
	for i, id := range ids {
		cs[i] = pgbroker.Control{Kind: pgbroker.KindDisconnectSession, SessionID: id, Reason: reason}
	}
	if err := pgbroker.Notify(ctx, st.DB, cs...); err != nil {
		return ids, fmt.Errorf("sessions %v are revoked, but running servers were not told to disconnect them: %w", ids, err)
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}
