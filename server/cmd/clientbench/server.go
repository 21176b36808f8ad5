package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"natter/shared"
)

// build is one built Natter: a directory holding bin/natter and web/.
type build struct {
	label string
	dir   string

	url    string // http://127.0.0.1:port
	cookie *http.Cookie
	cmd    *exec.Cmd

	otherID     int64        // the second user (seed.go)
	otherCookie *http.Cookie // their session, for list.go's peer
	data        string
}

// start runs the build's server on a free port with a data directory of
// its own (an embedded PostgreSQL) and signs a user up.
func (b *build) start(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	b.data, err = os.MkdirTemp("", "clientbench-"+b.label+"-")
	if err != nil {
		return err
	}
	// Run as root, the embedded PostgreSQL runs as its own user, which
	// must be able to enter the directory (MkdirTemp makes it 0700).
	if err := os.Chmod(b.data, 0o711); err != nil {
		return err
	}
	b.url = "http://" + addr
	b.cmd = exec.Command(filepath.Join(b.dir, "bin", "natter"), "serve")
	b.cmd.Env = append(os.Environ(), "NATTER_ADDR="+addr, "NATTER_DATA="+b.data, "NATTER_WEB="+filepath.Join(b.dir, "web"),
		"NATTER_REGISTER_LIMIT=off", "NATTER_OPENS_PER_MINUTE=100000",
		"NATTER_ACTION_RATE=100000", "NATTER_ACTION_BURST=100000", "NATTER_USER_ACTION_RATE=100000", "NATTER_USER_ACTION_BURST=100000",
		// Scrolling through 2,000 messages fetches a page of history per
		// screen, faster than a person reads (list.go).
		"NATTER_READ_RATE=100000", "NATTER_READ_BURST=100000")
	logf, err := os.Create(filepath.Join(b.data, "server.log"))
	if err != nil {
		return err
	}
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		return fmt.Errorf("start %s server: %w", b.label, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get(b.url + shared.PathHealth)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s server did not start (log: %s)", b.label, logf.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return b.signUp()
}

// signUp registers the benchmark's user and keeps its session cookie.
func (b *build) signUp() error {
	post := func(path string, v any) (*http.Response, error) {
		body, _ := json.Marshal(v)
		req, _ := http.NewRequest(http.MethodPost, b.url+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.url)
		return http.DefaultClient.Do(req)
	}
	const password = "correct horse battery"
	res, err := post(shared.APIRegister, shared.RegisterRequest{Email: "bench@example.com", Nickname: "bench", Password: password})
	if err != nil {
		return err
	}
	res.Body.Close()
	res, err = post(shared.APISignIn, shared.SignInRequest{Login: "bench", Password: password})
	if err != nil {
		return err
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if strings.Contains(strings.ToLower(c.Name), "session") {
			b.cookie = c
		}
	}
	if b.cookie == nil {
		return fmt.Errorf("%s: sign-in answered %d without a session cookie", b.label, res.StatusCode)
	}
	return nil
}

// stop ends the server and removes its data. Safe to call twice.
func (b *build) stop() {
	if b.cmd != nil && b.cmd.Process != nil && b.cmd.ProcessState == nil {
		b.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.cmd.Process.Kill()
		}
	}
	if b.data != "" {
		os.RemoveAll(b.data)
	}
}

// startAll starts every build's server and seeds it, noting the path of
// the seeded conversation.
func startAll(ctx context.Context, builds []*build, convPath map[*build]string, convs, messages int, fatal func(string, ...any)) {
	for _, b := range builds {
		if err := b.start(ctx); err != nil {
			fatal("%v", err)
		}
		id, err := b.seed(ctx, convs, messages)
		if err != nil {
			fatal("%v", err)
		}
		convPath[b] = "/c/" + id
	}
}
