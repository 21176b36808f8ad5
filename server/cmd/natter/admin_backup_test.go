package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"natter/server/backup"
	"natter/server/pglocal"
	"natter/server/store"
	"natter/shared"
)

// dataRoot makes a directory under /tmp that PostgreSQL's own OS user can
// traverse, for data directories of embedded clusters; their clusters are
// discarded when the test ends.
func dataRoot(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("/tmp", "natter-backup-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(root, e.Name(), "postgres", "PG_VERSION")); err == nil {
				if err := pglocal.Discard(filepath.Join(root, e.Name(), "postgres")); err != nil {
					t.Errorf("discard: %v", err)
				}
			}
		}
		_ = os.RemoveAll(root)
	})
	return root
}

// runAdmin runs `natter admin args...` in process against the configuration
// in the environment, as an operator would.
func runAdmin(args ...string) (string, error) {
	cmd := adminCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// sent is one acknowledged message.
type sent struct {
	conv, body string
	seq        int64
}

// TestBackupRestore backs up an embedded cluster while ten people keep
// sending, restores the file into a fresh data directory, and checks the
// restored database has every message acknowledged before the backup
// began, each once, with gap-free seqs. Then the restore refuses a
// non-empty target (unless --force), a newer schema and a damaged file.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	root := dataRoot(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATTER_DATA", filepath.Join(root, "src"))
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, _, release, err := openTarget(ctx, cfg, quietLog(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { release() }()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	users := make([]int64, 10)
	for i := range users {
		u, err := st.CreateUser(ctx, fmt.Sprintf("u%d@example.org", i), fmt.Sprintf("u%d", i), "x")
		if err != nil {
			t.Fatal(err)
		}
		users[i] = u.ID
	}
	conv, err := st.CreateConversation(ctx, users[0], shared.NewUUIDv7(), shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "all", MemberIDs: users[1:]})
	if err != nil {
		t.Fatal(err)
	}

	// Ten senders; what each got acknowledged before the backup started
	// must be in it.
	var (
		stop     atomic.Bool
		started  atomic.Bool
		mu       sync.Mutex
		mustHave []sent
		wg       sync.WaitGroup
		firstAck = make(chan struct{}, len(users))
	)
	for i, uid := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				body := fmt.Sprintf("u%d-%d", i, n)
				m, err := st.SendMessage(ctx, uid, shared.NewUUIDv7(), conv.ID, body)
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				// Acknowledged (committed) before the backup began: its
				// snapshot must hold it. Sends in flight may or may not
				// be in it, but never twice.
				if !started.Load() {
					mu.Lock()
					mustHave = append(mustHave, sent{conv.ID, body, m.Seq})
					mu.Unlock()
				}
				if n == 0 {
					firstAck <- struct{}{}
				}
			}
		}()
	}
	for range users {
		<-firstAck // every sender is under way
	}
	file := filepath.Join(root, "b.tar")
	started.Store(true)
	out, err := runAdmin("backup", "--out", file)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(out, "backed up to "+file) {
		t.Fatalf("backup said %q", out)
	}
	release()
	release = func() {}

	t.Setenv("NATTER_DATA", filepath.Join(root, "dst"))
	if out, err = runAdmin("restore", file); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out, "10 users, 1 conversations") {
		t.Fatalf("restore said %q", out)
	}
	cfg2, _ := loadConfig()
	st2, _, release2, err := openTarget(ctx, cfg2, quietLog(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer release2()
	checkRestored(t, st2, conv.ID, mustHave)

	t.Run("non-empty target", func(t *testing.T) {
		if _, err := runAdmin("restore", file); err == nil || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("restore into a full database: err = %v", err)
		}
		if _, err := st2.SendMessage(ctx, users[1], shared.NewUUIDv7(), conv.ID, "after restore"); err != nil {
			t.Fatal(err)
		}
		if _, err := runAdmin("restore", "--force", file); err != nil {
			t.Fatalf("restore --force: %v", err)
		}
		checkRestored(t, st2, conv.ID, mustHave)
	})
	t.Run("server running", func(t *testing.T) {
		unlock, err := lockDataDir(filepath.Join(root, "dst")) // as natter serve holds it
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if _, err := runAdmin("restore", "--force", file); err == nil || !strings.Contains(err.Error(), "stop it first") {
			t.Fatalf("restore under a running server: %v", err)
		}
	})
	tests := []struct {
		name string
		edit func(m *backup.Meta, dump []byte)
		want string
	}{
		{"newer schema", func(m *backup.Meta, _ []byte) { m.Schema = "99990101000000_future" }, "newer than this Natter's"},
		{"damaged dump", func(_ *backup.Meta, dump []byte) { dump[len(dump)/2] ^= 0xff }, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(root, strings.ReplaceAll(tt.name, " ", "-")+".tar")
			rewriteBackup(t, file, bad, tt.edit)
			fresh := filepath.Join(root, "fresh-"+strings.ReplaceAll(tt.name, " ", "-"))
			t.Setenv("NATTER_DATA", fresh)
			_, err := runAdmin("restore", bad)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(fresh, "postgres")); !os.IsNotExist(err) {
				t.Fatalf("a refused restore created a cluster: %v", err)
			}
		})
	}
}

// checkRestored asserts every message in want is in conv once, with its
// seq, and that seqs run 1..last_seq without a gap or a duplicate.
func checkRestored(t *testing.T, st *store.Store, conv string, want []sent) {
	t.Helper()
	ctx := context.Background()
	var last int64
	if err := st.DB.NewRaw(`SELECT last_seq FROM conversations WHERE id = ?`, conv).Scan(ctx, &last); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.MessagesAfter(ctx, conv, 0, int(last)+10)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(msgs)) != last {
		t.Fatalf("%d messages, last_seq %d", len(msgs), last)
	}
	bySeq := map[int64]string{}
	bodies := map[string]int{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: gap or duplicate", i, m.Seq)
		}
		bySeq[m.Seq] = m.Body
		bodies[m.Body]++
	}
	for _, w := range want {
		if bySeq[w.seq] != w.body || bodies[w.body] != 1 {
			t.Fatalf("acknowledged %q (seq %d): restored %q, %d times", w.body, w.seq, bySeq[w.seq], bodies[w.body])
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d messages acknowledged before the backup", len(want))
	}
}

// rewriteBackup copies the backup src to dst after edit changed its
// metadata or dump; the checksum stays the original's.
func rewriteBackup(t *testing.T, src, dst string, edit func(*backup.Meta, []byte)) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var meta backup.Meta
	var dump []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name == backup.MetaName {
			if err := json.Unmarshal(b, &meta); err != nil {
				t.Fatal(err)
			}
		} else {
			dump = b
		}
	}
	if sum := sha256.Sum256(dump); hex.EncodeToString(sum[:]) != meta.DumpSHA256 {
		t.Fatal("the original backup's checksum is wrong")
	}
	edit(&meta, dump)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mb, _ := json.Marshal(meta)
	for _, e := range []struct {
		name string
		b    []byte
	}{{backup.MetaName, mb}, {backup.DumpName, dump}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
