package client

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"natter/shared"
)

// Config wires an Engine to its seams. Storage and Transport are required;
// everything else has a default.
type Config struct {
	Storage      Storage
	Transport    Transport
	Device       string     // a stable name of this browser, sent in hello
	ResumeTokens TokenStore // sessionStorage in the browser; MemoryTokens when nil
	// StorageNew says Storage was created just now (IndexedDB's first
	// open on this device): there is nothing to read back, so Start skips
	// reading it, and the hello goes out that much sooner on a first visit.
	StorageNew bool
	Logger     *slog.Logger
	Now        func() time.Time
	Rand       func() float64 // in [0,1): backoff jitter
	// OnIncoming runs for each message from someone else that arrives live
	// (not replayed history, not own, not in a muted conversation), from the
	// engine's goroutine. The UI decides whether to show a notification.
	OnIncoming func(shared.Message, ConvView)
	// OnOutboxChange runs after this engine changed the outbox in Storage, so
	// the browser can ping other tabs (BroadcastChannel) to ReloadOutbox.
	OnOutboxChange func()
	// Window is how many durable actions may await their ack at once; 32
	// when zero. They are sent in outbox order on one connection.
	Window int
	// OnSignedOut runs once, after the engine learned that this device's
	// session is gone (revoked, account disabled, signed out here or in
	// another tab) and has already wiped everything of the user from Storage
	// and ResumeTokens. The engine is finished then: the browser clears the
	// rest (sessionStorage, notifications), tells the other tabs unless
	// SignOut.FromTab, and shows the sign-in page with the reason. It runs
	// on its own goroutine.
	OnSignedOut func(SignOut)
	// Retention is how much history per conversation Storage keeps (and
	// offline search covers); zero fields mean DefaultRetention's.
	Retention Retention
}

// Engine is the sync engine: one per signed-in tab. All methods are safe for
// concurrent use. Methods that accept an action (Send, CreateConversation,
// Rename...) block until the action is durable in Storage, a few
// milliseconds of IndexedDB in the browser: call them from the UI goroutine,
// never from inside a js.FuncOf callback.
type Engine struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	me         shared.User
	signIns    int    // sign-ins on this tab (SignedIn): what a session was dialed after
	focus      string // the conversation on screen; the hello asks for it first
	bodyMax    int
	status     Status
	storageErr string
	convs      map[string]*conv
	outbox     []*action // in order key order
	// settled are the Storage keys of actions acknowledged since the last
	// flush: their entries leave the outbox bucket only with the flush
	// that writes what the acks changed (Flush), so a page that dies in
	// between finds each action in one place or the other, never neither.
	settled   map[string]bool
	lastOrder int64
	drafts    map[string]string
	redirects map[string]string
	mutes     map[string]shared.Mute // the person's mutes, by conversation (mute.go)
	online    bool
	probe     bool // dial once although the browser says offline: Retry now, or the offline probe
	sender    bool
	sess      *session
	aheadConv string // the one conversation that may hold a page read ahead (readahead.go)

	dirty      dirtySet // cache records waiting for the debounced flush
	flushTimer *time.Timer
	flushDue   time.Time  // when flushTimer fires
	flushArmed time.Time  // when flushTimer was armed from idle (scheduleHistoryFlush)
	flushMu    sync.Mutex // serialises flushes so writes land in order

	changed bool // a subscriber notification is due
	version uint64
	snap    State
	snapVer uint64

	subs    map[int]func()
	nextSub int

	kick    chan struct{} // wakes the connection loop: RetryNow, online
	hello   firstHello    // the first connection attempt's hello (FirstHello)
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool

	requests map[string]chan reply // non-durable requests awaiting their answer
	index    map[string]*wordIndex // offline search, per conversation (searchindex.go)
	// indexRead is set once the stored index has been read (on the first
	// local search, not at start: most visits never search offline).
	indexRead bool

	wiped   bool // everything was forgotten: no write reaches Storage any more
	leaving bool // SignOut is ending the session: its own revocation is expected
}

// New returns an engine; Start runs it. It does not touch Storage yet.
func New(cfg Config) *Engine {
	if cfg.ResumeTokens == nil {
		cfg.ResumeTokens = &MemoryTokens{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Window <= 0 {
		cfg.Window = 32
	}
	return &Engine{
		cfg:       cfg,
		log:       cfg.Logger,
		bodyMax:   shared.DefaultBodyMax,
		status:    Status{State: StateConnecting},
		convs:     map[string]*conv{},
		settled:   map[string]bool{},
		drafts:    map[string]string{},
		redirects: map[string]string{},
		online:    true,
		sender:    true,
		dirty:     newDirtySet(),
		subs:      map[int]func(){},
		kick:      make(chan struct{}, 1),
		hello:     firstHello{ch: make(chan struct{})},
		requests:  map[string]chan reply{},
		index:     map[string]*wordIndex{},
	}
}

// Start loads the cache, the drafts and the outbox from Storage, so the UI
// shows them at once even offline, then runs the connection loop until Stop
// or until ctx ends. Call it once, from a goroutine that may block on
// Storage (in the browser: not inside a js.FuncOf callback).
func (e *Engine) Start(ctx context.Context) {
	if !e.cfg.StorageNew {
		e.load(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	e.cancel = cancel
	e.done = make(chan struct{})
	e.mu.Unlock()
	go func() {
		defer close(e.done)
		defer e.hello.done()
		e.run(ctx)
	}()
}

// FirstHello returns a channel closed once the engine's first connection
// has sent its hello, or the first attempt failed or was put off (offline,
// signed out, stopped). The page waits for it before drawing its first
// screen: a hello written before that work lets the server prepare the
// welcome and the replay while the page draws, instead of after.
func (e *Engine) FirstHello() <-chan struct{} { return e.hello.ch }

// firstHello is the channel FirstHello returns and its one close.
type firstHello struct {
	once sync.Once
	ch   chan struct{}
}

func (h *firstHello) done() { h.once.Do(func() { close(h.ch) }) }

// Stop ends the connection loop and writes every pending cache and draft
// write, so the last keystroke survives. Safe to call more than once.
func (e *Engine) Stop() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.stopped = true
	e.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	e.Flush()
}

// Subscribe registers fn to run after any state change. fn runs on the
// engine's goroutines (or the caller's, for actions), so the UI must only
// dispatch a re-render onto its own loop from it. cancel unregisters.
func (e *Engine) Subscribe(fn func()) (cancel func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.nextSub
	e.nextSub++
	e.subs[id] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.subs, id)
	}
}

// touch marks the state changed; unlock then notifies the subscribers.
// Callers hold e.mu.
func (e *Engine) touch() {
	e.changed = true
	e.version++
}

// unlock releases e.mu and, when the state changed, runs the subscribers
// outside the lock so they may call State.
func (e *Engine) unlock() {
	if !e.changed {
		e.mu.Unlock()
		return
	}
	e.changed = false
	fns := make([]func(), 0, len(e.subs))
	for _, fn := range e.subs {
		fns = append(fns, fn)
	}
	e.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// State returns a consistent snapshot. It is rebuilt only after a change,
// so calling it on every render is cheap.
func (e *Engine) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snapVer == e.version && e.snap.Status.State != "" && !e.hasTyping() {
		return e.snap
	}
	st := State{Me: e.me, Status: e.status, StorageError: e.storageErr, BodyMax: e.bodyMax}
	now := e.cfg.Now()
	st.Conversations = make([]ConvView, 0, len(e.convs))
	for _, c := range e.convs {
		st.Conversations = append(st.Conversations, e.view(c, now))
	}
	sortConvViews(st.Conversations, e.activity)
	st.Outbox = make([]ActionView, 0, len(e.outbox))
	for _, a := range e.outbox {
		st.Outbox = append(st.Outbox, a.view())
	}
	e.snap, e.snapVer = st, e.version
	return st
}

// Conversation returns one conversation as shown, following a redirect
// when convID was merged into another one.
func (e *Engine) Conversation(id string) (ConvView, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[e.resolve(id)]
	if c == nil {
		return ConvView{}, false
	}
	return e.view(c, e.cfg.Now()), true
}

// Redirect returns the conversation convID was merged into when its creation
// turned out to duplicate an existing one-to-one, or "". The UI navigates
// there when it shows convID.
func (e *Engine) Redirect(convID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.resolve(convID); r != convID {
		return r
	}
	return ""
}

// resolve follows redirects. Callers hold e.mu.
func (e *Engine) resolve(id string) string {
	for range 8 {
		r, ok := e.redirects[id]
		if !ok {
			return id
		}
		id = r
	}
	return id
}

// setStorageErr records a refused write so the UI shows it. Callers hold e.mu.
func (e *Engine) setStorageErr(err error) {
	msg := ""
	if err != nil {
		msg = "Your browser refused to save data (" + err.Error() + "). Free some space or allow storage for this site; until then recent changes may be lost on reload."
		e.log.Error("client: storage", "err", err)
	}
	if e.storageErr != msg {
		e.storageErr = msg
		e.touch()
	}
}
