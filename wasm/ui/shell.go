package ui

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// Who the shell believes is signed in before the engine knows.
const (
	authUnknown     = iota // no cached user; asking the server
	authOK                 // a cached user or the server said who we are
	authNone               // the server said nobody is signed in
	authUnreachable        // no cached user and no answer from the server
)

// Shell is the root component of every route. It owns the engine
// subscription, picks the page from the URL, and draws what every page
// shares: the connection indicator, the banners and, on wide screens, the
// conversation list beside the page.
type Shell struct {
	app.Compo
	Env *Env

	path      string
	st        client.State
	rev       int
	auth      int
	appUpdate bool
	ticking   bool
	queued    atomic.Bool
	cancel    func()
	notifyReq bool   // a permission request is in flight
	notifyErr string // why Enable notifications fell short, until the next click
	// ctx is the shell's own context from OnMount, for work that outlives
	// the element that started it.
	ctx app.Context
	// unreadOnly shows only unread conversations in the sidebar (sidefilter.go).
	unreadOnly bool
}

// NewShell returns a Shell for env; main routes every page to it.
func NewShell(env *Env) func() app.Composer {
	return func() app.Composer { return &Shell{Env: env} }
}

// OnMount subscribes to the engine and works out who is signed in, from the
// cache first: rendering never waits for the network.
func (s *Shell) OnMount(ctx app.Context) {
	s.ctx = ctx
	s.path = ctx.Page().URL().Path
	if ctx.AppUpdateAvailable() {
		s.OnAppUpdate(ctx)
	}
	s.cancel = s.Env.Engine.Subscribe(func() {
		// Engine callbacks come from other goroutines and can be many per
		// frame: queue one refresh at a time.
		if s.queued.CompareAndSwap(false, true) {
			ctx.Dispatch(s.refresh)
		}
	})
	s.refresh(ctx)
	if s.me().ID != 0 {
		s.auth = authOK
		return
	}
	s.checkAuth(ctx)
}

// me is the signed-in user: the engine's (cached or from the server's
// welcome), or the one the account API named while the engine catches up.
func (s *Shell) me() shared.User {
	if s.st.Me.ID != 0 {
		return s.st.Me
	}
	return s.Env.user
}

// OnDismount stops listening to the engine.
func (s *Shell) OnDismount() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// OnNav picks up the new page after a navigation.
func (s *Shell) OnNav(ctx app.Context) {
	s.path = ctx.Page().URL().Path
	// Leaving a page is when a draft typed there must be durable: the
	// debounced write may not have run yet, and a reload or a closed tab
	// soon after would lose it (a write started in pagehide may never
	// complete).
	ctx.Async(s.Env.Engine.Flush)
	s.refresh(ctx) // fresh state: a sign-in may have just woken the engine
}

// OnAppUpdate shows the "new version" banner, unless the update is the
// service worker's first install: go-app reports that as an update too (the
// worker claims the page), but a page that came from the network already
// runs the newest version.
func (s *Shell) OnAppUpdate(ctx app.Context) {
	if !loadedByWorker() && time.Since(started) < firstInstallWindow {
		return
	}
	s.appUpdate = true
}

// started is when the app started; see OnAppUpdate.
var started = time.Now()

// firstInstallWindow bounds how long after a network load an update report
// is taken for the worker's first install.
const firstInstallWindow = 2 * time.Minute

// loadedByWorker reports whether a service worker served this page load
// (the navigation's workerStart is 0 without one).
func loadedByWorker() bool {
	perf := app.Window().Get("performance")
	if !perf.Truthy() {
		return true
	}
	entries := perf.Call("getEntriesByType", "navigation")
	if !entries.Truthy() || entries.Length() == 0 {
		return true
	}
	return entries.Index(0).Get("workerStart").Float() > 0
}

func (s *Shell) refresh(ctx app.Context) {
	s.queued.Store(false)
	s.st = s.Env.Engine.State()
	s.rev++
	if s.st.Me.ID != 0 {
		s.auth = authOK
	}
	s.guard(ctx)
	s.tick(ctx)
	s.setTitle(ctx)
}

// checkAuth asks the server who is signed in, for a device with no cache.
func (s *Shell) checkAuth(ctx app.Context) {
	ctx.Async(func() {
		u, err := s.Env.API.Me(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				s.Env.user, s.auth = u, authOK
			case unauthorized(err):
				s.auth = authNone
				if held := s.Env.Engine.Unsent(); (held.Actions > 0 || held.Drafts > 0) && s.Env.SessionGone != nil {
					// Revoked while this device was away, with things of the
					// user still stored here: they go as on a revocation.
					s.Env.SessionGone(sessionEnded(err))
				}
			default:
				if s.auth == authUnknown {
					s.auth = authUnreachable
				}
			}
			s.guard(ctx)
		})
	})
}

// guard sends signed-out users to the sign-in page.
func (s *Shell) guard(ctx app.Context) {
	if isAuthPage(s.path) {
		return
	}
	switch {
	case s.st.Status.State == client.StateSignedOut:
		s.Env.user = shared.User{}
		ctx.Navigate(signInPath(s.path))
	case s.auth == authNone && s.me().ID == 0:
		ctx.Navigate(signInPath(s.path))
	}
}

// tick re-renders every second while a reconnect countdown is shown.
func (s *Shell) tick(ctx app.Context) {
	if s.ticking || s.st.Status.State != client.StateReconnecting {
		return
	}
	s.ticking = true
	ctx.After(time.Second, func(ctx app.Context) {
		s.ticking = false
		s.tick(ctx)
	})
}

func (s *Shell) setTitle(ctx app.Context) {
	title := "Natter"
	switch p := s.path; {
	case p == shared.RouteSignIn:
		title = "Sign in · Natter"
	case p == shared.RouteSignUp:
		title = "Create account · Natter"
	case p == shared.RouteProfile:
		title = "Profile · Natter"
	case p == shared.RouteNew:
		title = "New conversation · Natter"
	default:
		if id := shared.ConversationFromPath(p); id != "" {
			for _, c := range s.st.Conversations {
				if c.ID == id {
					title = Title(c.Conversation, s.me().ID) + " · Natter"
				}
			}
		}
	}
	if unread := BadgeCount(s.st.Conversations); unread > 0 {
		title = "(" + thousands(int(unread)) + ") " + title
	}
	if ctx.Page().Title() != title {
		ctx.Page().SetTitle("%s", title)
	}
}

func isAuthPage(path string) bool { return path == shared.RouteSignIn || path == shared.RouteSignUp }

// Render draws the page for the current path inside the shared frame.
func (s *Shell) Render() app.UI {
	page, kind := s.page(s.me())
	return app.Div().ID("app").Class("app").DataSet("page", kind).Body(
		app.A().Class("skip-link").Href("#main").Text("Skip to content"),
		s.banners(),
		connStatus(s.st.Status, time.Now(), s.retryNow),
		page,
	)
}

// page returns the page for the path and its kind for CSS.
func (s *Shell) page(me shared.User) (app.UI, string) {
	switch {
	case s.path == shared.RouteSignUp:
		return &SignUp{Env: s.Env}, "signup"
	case s.path == shared.RouteSignIn:
		return &SignIn{Env: s.Env}, "signin"
	}
	if me.ID == 0 {
		switch s.auth {
		case authUnreachable:
			return authFrame("Can't reach Natter", "This device has no saved conversations yet, and the server can't be reached. Check your connection; Natter will try again.",
				app.A().Class("btn", "btn-primary", "btn-block").Href(signInPath(s.path)).Text("Sign in")), "offline"
		default:
			return app.Main().ID("main").Class("loading").Body(
				logo("loading-logo"), app.P().Role("status").Text("Loading your conversations…")), "loading"
		}
	}
	var pane app.UI
	kind := "home"
	switch {
	case s.path == shared.RouteProfile:
		pane, kind = &Profile{Env: s.Env, Me: me}, "profile"
	case s.path == shared.RouteNew:
		pane, kind = &NewConversation{Env: s.Env, Me: me, Rev: s.rev, Convs: s.st.Conversations}, "new"
	case shared.ConversationFromPath(s.path) != "":
		pane, kind = &ConversationPage{Env: s.Env, ID: shared.ConversationFromPath(s.path), Me: me, Rev: s.rev, BodyMax: s.st.BodyMax, Connected: s.st.Status.State == client.StateConnected, Target: shared.MessageFromPath(s.path),
			Syncing: !s.st.Status.CaughtUp && (s.st.Status.State == client.StateConnecting || s.st.Status.State == client.StateConnected)}, "conv"
	default:
		pane = emptyPane(len(s.st.Conversations) == 0)
	}
	return app.Div().Class("layout").Body(
		s.sidebar(me),
		app.Main().ID("main").Class("pane").Body(pane),
	), kind
}

// retryNow reconnects at once instead of waiting for the backoff.
func (s *Shell) retryNow(ctx app.Context, e app.Event) { s.Env.Engine.RetryNow() }

// banners are the app-wide messages that need an action or attention.
func (s *Shell) banners() app.UI {
	var items []app.UI
	if s.st.Status.State == client.StateUpdateRequired {
		items = append(items, banner("banner-update-required", "warning",
			"This version of Natter is out of date. Reload to get the new one; your drafts and queued messages are kept.", "Reload"))
	} else if s.appUpdate {
		items = append(items, banner("banner-app-update", "info", "A new version of Natter is available.", "Reload"))
	}
	if s.Env.StorageWarning != "" {
		items = append(items, app.Div().ID("banner-storage-warning").Class("banner", "banner-warning").Role("alert").Body(
			icon("alert"),
			app.Span().Class("banner-text").Text(s.Env.StorageWarning),
		))
	}
	if s.path == shared.RouteSignIn && s.Env.SignedOut.Code != "" {
		items = append(items, signedOutNotice(s.Env.SignedOut))
	}
	if ch := failedChanges(s.Env, s.st); ch != nil {
		items = append(items, ch)
	}
	if s.st.StorageError != "" {
		items = append(items, app.Div().ID("banner-storage").Class("banner", "banner-danger").Role("alert").Body(
			icon("alert"),
			app.Span().Class("banner-text").Text(s.st.StorageError),
		))
	}
	return app.Div().Class("banners").Body(items...)
}

func banner(id, kind, text, action string) app.UI {
	return app.Div().ID(id).Class("banner", "banner-"+kind).Role("alert").Body(
		icon("refresh"),
		app.Span().Class("banner-text").Text(text),
		app.Button().ID("reload").Type("button").Class("btn", "btn-small", "btn-on-banner").Text(action).
			OnClick(func(ctx app.Context, e app.Event) { ctx.Reload() }),
	)
}

// emptyPane fills the main pane on wide screens when no conversation is open.
func emptyPane(noConversations bool) app.UI {
	msg := "Pick a conversation on the left, or start a new one."
	if noConversations {
		msg = "No conversations yet. Start one — it works offline too."
	}
	return app.Div().Class("empty-pane").Body(
		logo("empty-logo"),
		app.H1().Class("empty-title").Text("Natter"),
		app.P().Class("muted").Text(msg),
		app.A().Class("btn", "btn-primary").Href(shared.RouteNew).Body(icon("plus"), app.Span().Text("New conversation")),
	)
}

// activeConversation returns the id of the open conversation, or "".
func (s *Shell) activeConversation() string {
	if strings.HasPrefix(s.path, shared.RouteConversation) {
		return shared.ConversationFromPath(s.path)
	}
	return ""
}
