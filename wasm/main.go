//go:build js && wasm

// Command wasm is Natter's browser app: it wires the sync engine to the
// browser (IndexedDB, online and visibility events, the sender lock, the
// outbox channel between tabs, notifications) and hands it to the UI, whose
// Shell component serves every route.
package main

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/browser"
	"natter/wasm/client"
	"natter/wasm/ui"
)

func main() {
	// Marks on the page's performance timeline: the client benchmark
	// (server/cmd/clientbench) splits start-up time with them.
	perf := app.Window().Get("performance")
	perf.Call("mark", "natter:go-start")
	tuneGC()
	exposeMemStats()
	// The WebSocket is opened first of all: its handshake and the server's
	// check of the session then overlap with IndexedDB opening and the
	// cache loading (client.Predial), and the engine's hello, which needs
	// the cache's cursors, goes out on an already open socket.
	transport := client.Predial(context.Background(), &markedTransport{inner: &client.WebSocketTransport{URL: webSocketURL()}})
	env := newEnv(context.Background(), transport)
	perf.Call("mark", "natter:env-ready")
	shell := ui.NewShell(env)
	for _, path := range shared.PageRoutes {
		app.Route(path, shell)
	}
	app.RouteMatch(shared.IsConversationPath, shell)
	// The hello goes before the first screen is drawn, so the server works
	// on the welcome and the replay meanwhile (the socket is usually open
	// by now). A slow network does not hold the screen for long.
	select {
	case <-env.Engine.FirstHello():
	case <-time.After(helloWait):
	}
	app.RunWhenOnBrowser()
}

// helloWait bounds how long the first screen waits for the hello to go.
const helloWait = 50 * time.Millisecond

// newEnv opens the local store and starts the engine. Opening IndexedDB and
// loading the cache are local and fast; the network is never awaited, so an
// offline start renders the cached conversations at once.
func newEnv(ctx context.Context, transport *client.Predialed) *ui.Env {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	env := &ui.Env{
		API:                     &client.API{Fetch: browser.Fetch{}},
		NotifyPermission:        browser.Permission,
		RequestNotifyPermission: browser.RequestPermission,
		StorageEstimate:         browser.StorageEstimate,
	}
	env.Push = pushControl(env.API) // push.go

	var store client.Storage
	storeNew := true // a memory store starts empty too
	if idb, err := browser.OpenIDB(ctx); err != nil {
		log.Warn("natter: no durable storage", "err", err)
		store = client.NewMemoryStorage()
		env.StorageWarning = "This browser won't let Natter save data on this device, so drafts and messages not sent yet are lost when you close the tab."
	} else {
		store, storeNew = idb, idb.Created()
	}
	app.Window().Get("performance").Call("mark", "natter:idb-open")

	screens := browser.OpenScreens()
	var engine *client.Engine
	env.OnScreenChange = func(id string) {
		screens.Show(id)
		engine.Focus(id) // a reconnect replays the conversation on screen first
	}
	var speaker atomic.Bool // this tab holds the sender lock, so it notifies for all tabs
	notes := make(chan func(), 64)
	go func() { // one at a time, in arrival order: each may wait on the browser
		for show := range notes {
			show()
		}
	}()
	later := func(show func()) {
		select {
		case notes <- show:
		default: // a flood: they collapse per conversation anyway
		}
	}
	channel := browser.OpenChannel(func() { engine.ReloadOutbox() })
	sessions := browser.OpenSessionChannel(func(r client.SignOut) {
		// Another tab learned the session is gone and wiped the shared
		// storage: forget this tab's memory too (and wipe again whatever it
		// wrote meanwhile). A tab holding nothing (a sign-in page) stays.
		engine.SessionEnded(r)
	})
	if r, ok := browser.SignOutNotice(); ok {
		env.SignedOut = r
	}
	engine = client.New(client.Config{
		Storage:        store,
		StorageNew:     storeNew,
		Transport:      transport,
		Device:         browser.DeviceID(),
		ResumeTokens:   browser.SessionTokens{},
		Logger:         log,
		OnOutboxChange: channel.Ping,
		OnSignedOut: func(r client.SignOut) {
			// The engine has wiped IndexedDB and the resume token; the rest
			// of the user goes now, then the sign-in page says why.
			if !r.FromTab {
				sessions.Announce(r)
			}
			browser.ClearSessionStorage()
			browser.SetSignOutNotice(r)
			dropPush() // the server deleted its copy with the session
			browser.CloseNotifications()
			app.Window().Get("location").Call("assign", shared.RouteSignIn)
		},
		OnIncoming: func(m shared.Message, cv client.ConvView) {
			if speaker.Load() {
				later(func() { notify(env, screens, m, cv) })
			}
		},
	})
	env.Engine = engine
	// A deep link's conversation is replayed first (Hello.Focus): the page
	// may mount only after the hello has gone.
	engine.Focus(shared.ConversationFromPath(app.Window().URL().Path))
	watchNewConversations(env, engine, func(cv client.ConvView) {
		if speaker.Load() {
			later(func() { notifyNewConversation(env, screens, cv) })
		}
	})

	// Listen first, then read: an online event that fires while start-up
	// yields to the browser would otherwise be missed, leaving the app
	// "offline" on a working network until the next event.
	browser.OnOnline(engine.SetOnline)
	engine.SetOnline(browser.Online())
	engine.SetSender(false)
	browser.AcquireSenderLock(func() {
		speaker.Store(true)
		engine.SetSender(true)
	})
	engine.Start(ctx)
	app.Window().Get("performance").Call("mark", "natter:cache-loaded")
	watchBadge(engine)
	watchPush(engine, env.API)
	markReady(engine)
	browser.OnVisibility(func(visible bool) {
		screens.Show(env.OnScreen())
		if visible {
			engine.SetOnline(browser.Online()) // in case an online event was missed while asleep
			engine.RetryNow()                  // a phone may have slept through a disconnect
			return
		}
		engine.Flush() // a hidden tab may be killed without warning
	})
	browser.OnNotificationClick(func(path string) {
		app.Window().Call("goappNav", path)
	})

	env.AfterSignIn = func(u shared.User) {
		// A connection opened before this sign-in speaks for no one.
		transport.Drop()
		browser.ClearSignOutNotice()
		env.SignedOut = client.SignOut{}
		if cached := engine.State().Me; cached.ID != 0 && cached.ID != u.ID {
			// Another account's data is on this device: start clean.
			engine.Stop()
			if err := engine.Reset(); err != nil {
				log.Warn("natter: reset after account switch", "err", err)
			}
			app.Window().Get("location").Call("assign", shared.RouteHome)
			return
		}
		// Store who is signed in at once: data found without its user at
		// the next start is taken for a wipe's leftovers and dropped.
		// SignedIn also dials again at once, and tells the engine that a
		// connection opened before now answers for no one.
		engine.SignedIn(u)
		go engine.Flush()
	}
	env.SignOut = func(ctx context.Context, all bool) error {
		return engine.SignOut(ctx, all, func(ctx context.Context) error { return env.API.SignOut(ctx, all) })
	}
	env.SessionGone = engine.SessionEnded
	return env
}

// notify shows a local notification for a message from someone else when
// its conversation is not on screen in any tab: each tab is hidden or shows
// another page. Only the tab holding the sender lock calls it, so the user
// gets one notification however many tabs are open. The tag collapses a
// conversation's notifications into one. It may block while it asks the
// browser which tabs are alive.
func notify(env *ui.Env, screens *browser.Screens, m shared.Message, cv client.ConvView) {
	if screens.Shown(cv.ID) {
		return
	}
	me := env.Engine.State().Me.ID
	// Only a mention comes through a mute, and never one from someone the
	// person blocked (the push path skips it the same way).
	if env.Engine.Muted(cv.ID) && ui.HasBlocked(context.Background(), env, me, m.SenderID) {
		return
	}
	conv := ui.Title(cv.Conversation, me)
	title := conv
	switch {
	case m.Sender != "" && len(cv.Members) > 2:
		title = m.Sender + " in " + conv
	case m.Sender != "":
		title = m.Sender
	}
	body := m.Body
	if r := []rune(body); len(r) > 160 {
		body = string(r[:159]) + "…"
	}
	browser.Notify(title, body, shared.PushTag(cv.ID), shared.ConversationPath(cv.ID))
}

// watchNewConversations calls fn for a conversation someone else starts
// with the user, or adds them to, while the tab is live: OnIncoming covers
// messages only, and a new conversation may have none yet. Conversations
// that come from the cache or from a replay after a reconnect are only
// remembered, as replayed messages are; muted ones are skipped.
func watchNewConversations(env *ui.Env, engine *client.Engine, fn func(client.ConvView)) {
	var mu sync.Mutex
	known := map[string]bool{}
	wasLive := false
	engine.Subscribe(func() {
		st := engine.State()
		live := st.Status.State == client.StateConnected && st.Status.CaughtUp
		var fresh []client.ConvView
		mu.Lock()
		now := make(map[string]bool, len(st.Conversations))
		for _, cv := range st.Conversations {
			now[cv.ID] = true
			if known[cv.ID] || !wasLive || !live || cv.Pending || cv.CreatedBy == st.Me.ID {
				continue
			}
			if mem := cv.Member(st.Me.ID); mem == nil || cv.MutedUntil != nil {
				continue
			}
			fresh = append(fresh, cv)
		}
		known, wasLive = now, live
		mu.Unlock()
		for _, cv := range fresh {
			fn(cv)
		}
	})
}

// notifyNewConversation says who started the conversation, under the same
// tag and deep link as its messages, unless a tab shows it. It may block
// like notify.
func notifyNewConversation(env *ui.Env, screens *browser.Screens, cv client.ConvView) {
	if screens.Shown(cv.ID) {
		return
	}
	body := "You were added to this conversation"
	if by := cv.Member(cv.CreatedBy); by != nil && cv.LastSeq == 0 {
		body = by.Nickname + " started a conversation with you"
	}
	browser.Notify(ui.Title(cv.Conversation, env.Engine.State().Me.ID), body, shared.PushTag(cv.ID), shared.ConversationPath(cv.ID))
}

// markReady marks "natter:ready" on the page's performance timeline once
// the start is over: the connection caught up, or it has nothing to wait
// for (offline, signed out, failing). The page's loader (server/web/loader.js)
// waits for it to register the service worker and store the wasm, work that
// would otherwise compete with the start.
func markReady(engine *client.Engine) {
	var done atomic.Bool
	var cancel func()
	var mu sync.Mutex
	check := func() {
		st := engine.State().Status
		if st.State == client.StateConnecting || (st.State == client.StateConnected && !st.CaughtUp) {
			return
		}
		if done.CompareAndSwap(false, true) {
			app.Window().Get("performance").Call("mark", "natter:ready")
			go func() { // not from inside the engine's notification
				mu.Lock()
				defer mu.Unlock()
				cancel()
			}()
		}
	}
	mu.Lock()
	cancel = engine.Subscribe(check)
	mu.Unlock()
	check() // an offline start is offline before anyone subscribed
}

// markedTransport marks the first dial's start and end on the page's
// performance timeline, beside the other natter:* marks the client
// benchmark reads (server/cmd/clientbench).
type markedTransport struct {
	inner  client.Transport
	marked atomic.Bool
}

// Dial dials inner, marking the first dial.
func (t *markedTransport) Dial(ctx context.Context) (client.Conn, error) {
	first := t.marked.CompareAndSwap(false, true)
	perf := app.Window().Get("performance")
	if first {
		perf.Call("mark", "natter:dial-start")
	}
	c, err := t.inner.Dial(ctx)
	if first {
		perf.Call("mark", "natter:ws-open")
	}
	return c, err
}

// webSocketURL is the server's WebSocket endpoint on this page's origin.
func webSocketURL() string {
	u := app.Window().URL()
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + u.Host + shared.PathWebSocket
}
