package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/server/hub"
	"natter/server/password"
	"natter/server/pgbroker"
	"natter/server/pgtest"
	"natter/server/store"
	"natter/shared"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixturePassword is every fixture user's password. Hashing costs tens of
// milliseconds, so fixtures share one hash.
const fixturePassword = "correct horse battery"

var fixtureHash = sync.OnceValue(func() string {
	h, err := password.Hash(fixturePassword)
	if err != nil {
		panic(err)
	}
	return h
})

// guard bounds waits for notifications; a passing test never reaches it.
const guard = 30 * time.Second

// adminEnv is a fresh database, the admin commands on it, and a broker
// standing in for a running server, recording what the CLI notified.
type adminEnv struct {
	t        *testing.T
	st       *store.Store
	node     *pgbroker.Broker
	batches  chan []hub.Event
	controls chan pgbroker.Control
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	db := pgtest.MustDB(t)
	b, err := pgbroker.New(context.Background(), db, pgbroker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	e := &adminEnv{t: t, st: store.New(db), node: b, batches: make(chan []hub.Event, 100), controls: make(chan pgbroker.Control, 100)}
	b.Subscribe(func(evs []hub.Event) { e.batches <- evs })
	b.OnControl(func(c pgbroker.Control) { e.controls <- c })
	return e
}

// run executes `natter admin args...` in process with stdin as standard
// input and returns what it printed on standard output.
func (e *adminEnv) run(stdin string, args ...string) (string, error) {
	cmd := adminCmdWith(func(context.Context) (*store.Store, func(), error) { return e.st, func() {}, nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// mustRun is run that fails the test on an error.
func (e *adminEnv) mustRun(args ...string) string {
	e.t.Helper()
	out, err := e.run("", args...)
	if err != nil {
		e.t.Fatalf("natter admin %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// mustJSON runs a command with --json and decodes its output into v.
func (e *adminEnv) mustJSON(v any, args ...string) {
	e.t.Helper()
	out := e.mustRun(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("natter admin %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// mustFail runs a command that must fail with an error containing want.
func (e *adminEnv) mustFail(stdin, want string, args ...string) {
	e.t.Helper()
	_, err := e.run(stdin, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		e.t.Fatalf("natter admin %s: error %v, want one containing %q", strings.Join(args, " "), err, want)
	}
}

func (e *adminEnv) mustUser(nick string) store.UserRecord {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), nick+"@example.org", nick, fixtureHash())
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *adminEnv) mustConversation(owner int64, title string, others ...int64) shared.Conversation {
	e.t.Helper()
	cv, err := e.st.CreateConversation(context.Background(), owner, shared.NewUUIDv7(),
		shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: others})
	if err != nil {
		e.t.Fatal(err)
	}
	return cv
}

func (e *adminEnv) mustSession(userID int64, agent string) shared.Session {
	e.t.Helper()
	h := sha256.Sum256([]byte(shared.NewUUIDv7()))
	s, err := e.st.CreateSession(context.Background(), userID, h[:], agent, time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *adminEnv) mustReload(id int64) store.UserRecord {
	e.t.Helper()
	u, err := e.st.UserByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *adminEnv) mustConv(id string) shared.Conversation {
	e.t.Helper()
	cv, err := e.st.ConversationByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return cv
}

// mustControl returns the next control a server would have received.
func (e *adminEnv) mustControl() pgbroker.Control {
	e.t.Helper()
	select {
	case c := <-e.controls:
		return c
	case <-time.After(guard):
		e.t.Fatalf("no control within %v", guard)
		return pgbroker.Control{}
	}
}

// mustBatch returns the next event batch a server would have received.
func (e *adminEnv) mustBatch() []hub.Event {
	e.t.Helper()
	select {
	case evs := <-e.batches:
		return evs
	case <-time.After(guard):
		e.t.Fatalf("no event batch within %v", guard)
		return nil
	}
}

// mustQuiet fails if the CLI notified anything not taken yet: a sentinel
// sent now must be the next thing to arrive.
func (e *adminEnv) mustQuiet() {
	e.t.Helper()
	const sentinel = 1 << 40
	if err := pgbroker.Notify(context.Background(), e.st.DB, pgbroker.Control{Kind: pgbroker.KindDisconnectUser, UserID: sentinel}); err != nil {
		e.t.Fatal(err)
	}
	if c := e.mustControl(); c.UserID != sentinel {
		e.t.Fatalf("unexpected control %+v", c)
	}
	select {
	case evs := <-e.batches:
		e.t.Fatalf("unexpected batch of %d events", len(evs))
	default:
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mustUnmarshal decodes JSON output into v.
func mustUnmarshal(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
}

// decodeEnvelope decodes one event payload and its data.
func decodeEnvelope(t *testing.T, payload []byte, data any) shared.Envelope {
	t.Helper()
	var env shared.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		t.Fatalf("envelope %s: %v", payload, err)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("envelope data %s: %v", env.Data, err)
	}
	return env
}
