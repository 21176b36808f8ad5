package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"natter/server/hub"
	"natter/server/pgbroker"
	"natter/server/pglocal"
	"natter/server/store"
	"natter/shared"
)

// storeOpener gives an admin command the database and a function that
// releases it. Tests inject one on a pgtest database.
type storeOpener func(ctx context.Context) (*store.Store, func(), error)

// admin is the state the admin commands share: how to reach the database
// and the output format.
type admin struct {
	open storeOpener
	json bool
}

// adminCmd groups the operator's commands; each topic lives in its own
// admin_*.go file.
func adminCmd() *cobra.Command { return adminCmdWith(openAdminStore) }

// adminCmdWith builds the admin command tree on open. Every call builds a
// fresh tree, so flag values never leak from one run to the next.
func adminCmdWith(open storeOpener) *cobra.Command {
	a := &admin{open: open}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer users, conversations, sessions, invites and backups",
		Long: `Administer Natter through its database (DATABASE_URL, or the embedded
PostgreSQL under NATTER_DATA). Changes that running servers must see at once
(a disabled user, a revoked session, an announcement) reach them through
PostgreSQL NOTIFY. USER is a user id, nickname or email.`,
	}
	cmd.PersistentFlags().BoolVar(&a.json, "json", false, "print JSON instead of text")
	cmd.AddCommand(a.usersCmd(), a.conversationsCmd(), a.sessionsCmd(), a.statsCmd(), a.announceCmd(), a.demoCmd(), a.cleanupCmd(), a.invitesCmd(),
		a.backupCmd(), a.restoreCmd(), a.pgUpgradeCmd(), a.searchLanguageCmd(), a.pushCmd())
	return cmd
}

// runE wraps a command body: it opens the store and releases it after.
func (a *admin) runE(fn func(ctx context.Context, c *cobra.Command, st *store.Store, args []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		ctx := c.Context()
		st, release, err := a.open(ctx)
		if err != nil {
			return err
		}
		defer release()
		return fn(ctx, c, st, args)
	}
}

// print writes v as indented JSON with --json, and otherwise calls text.
func (a *admin) print(c *cobra.Command, v any, text func(w io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(c.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(c.OutOrStdout())
	return nil
}

// table writes a header and rows with text/tabwriter.
func table(w io.Writer, header string, rows func(tw io.Writer)) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	_ = tw.Flush()
}

// when formats a time for tables, in the operator's time zone.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// whenPtr is when for optional times.
func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

// findUser resolves USER: a user id, a nickname or an email. An id wins
// over a nickname made of digits.
func findUser(ctx context.Context, st *store.Store, ref string) (store.UserRecord, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		u, err := st.UserByID(ctx, id)
		if err == nil || !errors.Is(err, store.ErrNoUser) {
			return u, err
		}
	}
	u, err := st.UserByLogin(ctx, ref)
	if errors.Is(err, store.ErrNoUser) {
		return u, fmt.Errorf("no user %q: give a user id, nickname or email", ref)
	}
	return u, err
}

// findConversation loads a conversation by id with an operator's error.
func findConversation(ctx context.Context, st *store.Store, id string) (shared.Conversation, error) {
	conv, err := st.ConversationByID(ctx, id)
	var se *shared.Error
	if errors.As(err, &se) && se.Code == shared.CodeNotFound {
		return conv, fmt.Errorf("no conversation %q: see `natter admin conversations list`", id)
	}
	return conv, err
}

// userLabel names a user in messages: "alice (id 3)".
func userLabel(u store.UserRecord) string { return fmt.Sprintf("%s (id %d)", u.Nickname, u.ID) }

// envelope encodes one wire envelope, as servers send them.
func envelope(typ string, seq int64, data any) ([]byte, error) {
	env, err := shared.NewEnvelope(typ, "", seq, data)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return json.Marshal(env)
}

// publishConversation tells the members of conv, live on any server, its
// new state, as a server does after a change.
func publishConversation(ctx context.Context, st *store.Store, conv shared.Conversation) error {
	payload, err := envelope(shared.TypeConversationUpdated, 0, conv)
	if err != nil {
		return err
	}
	ids := make([]int64, len(conv.Members))
	for i, m := range conv.Members {
		ids[i] = m.UserID
	}
	if len(ids) == 0 {
		return nil
	}
	return pgbroker.Notify(ctx, st.DB, pgbroker.Control{Kind: pgbroker.KindPublish, Events: []hub.Event{{UserIDs: ids, Payload: payload}}})
}

// openAdminStore opens the database the server uses, migrated, with the
// server's message length limit.
func openAdminStore(ctx context.Context) (*store.Store, func(), error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var st *store.Store
	var release func()
	if dir := filepath.Join(cfg.DataDir, "postgres"); cfg.DatabaseURL == "" && clusterRunning(dir) {
		st, release, err = shareRunningCluster(ctx, dir, log)
	} else {
		st, release, err = openStore(ctx, cfg, log)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		release()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	if cfg.BodyMax > 0 {
		st.BodyMax = cfg.BodyMax
	}
	return st, release, nil
}

// clusterRunning reports whether a PostgreSQL process runs on the embedded
// cluster's directory, i.e. `natter serve` is up: openStore would stop it
// when the admin command ends.
func clusterRunning(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err != nil || strings.TrimSpace(string(comm)) == "postgres"
}

// shareRunningCluster connects to the embedded cluster a running server
// owns and leaves it running afterwards.
func shareRunningCluster(ctx context.Context, dir string, log *slog.Logger) (*store.Store, func(), error) {
	cluster, err := pglocal.Start(ctx, pglocal.Options{Dir: dir, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("reach the embedded PostgreSQL: %w", err)
	}
	st, err := store.Open(cluster.DSN("natter"))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { _ = st.Close() }, nil
}
