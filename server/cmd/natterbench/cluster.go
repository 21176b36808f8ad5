package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"natter/server/password"
	"natter/server/pglocal"
	"natter/server/store"
	"natter/shared"
)

// Work directories live in /tmp/natterbench-*: the postgres user must be able
// to reach the cluster inside when we run as root, and a later run must be
// able to find and remove what a killed run left behind.
const (
	workPrefix = "natterbench-"
	ownerFile  = "owner.pid"
)

// workDir makes the run's private directory after sweeping dead runs' ones.
func workDir() (string, error) {
	sweepWorkDirs()
	root, err := os.MkdirTemp("/tmp", workPrefix)
	if err != nil {
		return "", fmt.Errorf("natterbench: work dir: %w", err)
	}
	// Searchable, not listable, by the postgres user.
	if err := os.Chmod(root, 0o711); err != nil {
		return root, fmt.Errorf("natterbench: work dir: %w", err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := os.WriteFile(filepath.Join(root, ownerFile), pid, 0o644); err != nil {
		return root, fmt.Errorf("natterbench: work dir: %w", err)
	}
	return root, nil
}

// sweepWorkDirs stops the clusters of runs whose process is gone and removes
// their directories.
func sweepWorkDirs() {
	dirs, _ := filepath.Glob(filepath.Join("/tmp", workPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		if err := pglocal.Discard(filepath.Join(d, "pg")); err != nil {
			logf("sweep %s: %v", d, err)
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// database is the run's private PostgreSQL and the store the benchmark uses
// to seed it and to count what was committed.
type database struct {
	cluster *pglocal.Cluster
	dsn     string
	st      *store.Store
}

// startDatabase boots a private cluster with the product's durability
// settings (fsync and synchronous_commit on) and migrates it.
func startDatabase(ctx context.Context, root string) (*database, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := pglocal.Start(ctx, pglocal.Options{Dir: filepath.Join(root, "pg"), Logger: log})
	if err != nil {
		return nil, err
	}
	if err := c.CreateDatabase(ctx, "natter", ""); err != nil {
		c.Stop()
		return nil, err
	}
	dsn := c.DSN("natter")
	st, err := store.Open(dsn)
	if err != nil {
		c.Stop()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		c.Stop()
		return nil, err
	}
	return &database{cluster: c, dsn: dsn, st: st}, nil
}

func (d *database) stop() {
	d.st.Close()
	if err := d.cluster.Stop(); err != nil {
		logf("stop PostgreSQL: %v", err)
	}
}

// count runs a count(*) query.
func (d *database) count(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	if err := d.st.DB.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("natterbench: %s: %w", query, err)
	}
	return n, nil
}

// account is a seeded user with a live session.
type account struct {
	id    int64
	token string // the session cookie's value
}

// seeder makes users and sessions straight through the store: registering
// over HTTP would spend an argon2 hash on each of thousands of users.
type seeder struct {
	st   *store.Store
	hash string // one argon2id hash shared by every seeded user
	next atomic.Int64
}

func newSeeder(st *store.Store) (*seeder, error) {
	h, err := password.Hash("natterbench-password")
	if err != nil {
		return nil, err
	}
	return &seeder{st: st, hash: h}, nil
}

// accounts seeds n users, each with one session, using a few connections.
func (s *seeder) accounts(ctx context.Context, n int) ([]account, error) {
	out := make([]account, n)
	err := parallel(ctx, n, 8, func(i int) error {
		k := s.next.Add(1)
		u, err := s.st.CreateUser(ctx, fmt.Sprintf("b%d@bench.test", k), fmt.Sprintf("b%d", k), s.hash)
		if err != nil {
			return err
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		tok := base64.RawURLEncoding.EncodeToString(raw[:])
		sum := sha256.Sum256([]byte(tok))
		if _, err := s.st.CreateSession(ctx, u.ID, sum[:], "natterbench", time.Now().Add(24*time.Hour)); err != nil {
			return err
		}
		out[i] = account{id: u.ID, token: tok}
		return nil
	})
	return out, err
}

// group creates one conversation of all the accounts, owned by the first.
func (s *seeder) group(ctx context.Context, title string, members []account) (string, error) {
	ids := make([]int64, 0, len(members)-1)
	for _, m := range members[1:] {
		ids = append(ids, m.id)
	}
	conv, err := s.st.CreateConversation(ctx, members[0].id, shared.NewUUIDv7(),
		shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: ids})
	if err != nil {
		return "", fmt.Errorf("natterbench: create %q: %w", title, err)
	}
	return conv.ID, nil
}

// pairs creates a one-to-one between accounts 2i and 2i+1 for every i and
// returns the conversation ids in order.
func (s *seeder) pairs(ctx context.Context, accts []account) ([]string, error) {
	out := make([]string, len(accts)/2)
	err := parallel(ctx, len(out), 8, func(i int) error {
		conv, err := s.st.CreateConversation(ctx, accts[2*i].id, shared.NewUUIDv7(),
			shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{accts[2*i+1].id}})
		if err != nil {
			return err
		}
		out[i] = conv.ID
		return nil
	})
	return out, err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; it stops handing out work after one.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
		failed  atomic.Bool
	)
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
