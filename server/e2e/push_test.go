package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// pushStub replaces only the network half of PushManager: headless
// Chromium here cannot reach a push service, so subscribe hands back the
// subscription the test made on its own push service (endpoint and keys),
// as a real browser would hand back one from its vendor's, and
// getSubscription returns it until unsubscribe. Everything else is real:
// the permission, the service worker, the push event, the notification.
// It also records what the page gives navigator.setAppBadge, which
// headless Chromium accepts but does not show.
const pushStub = `(() => {
	if (window.__natterPushStub) return;
	window.__natterPushStub = true;
	const key = "natter.test-push";
	const sub = %s;
	const make = (k) => ({
		endpoint: sub.endpoint,
		options: {applicationServerKey: new Uint8Array(k).buffer, userVisibleOnly: true},
		toJSON() { return {endpoint: sub.endpoint, keys: sub.keys}; },
		unsubscribe() { localStorage.removeItem(key); return Promise.resolve(true); },
	});
	if (window.PushManager) {
		PushManager.prototype.subscribe = function (opts) {
			if (Notification.permission !== "granted") return Promise.reject(new DOMException("denied", "NotAllowedError"));
			const k = Array.from(new Uint8Array(opts.applicationServerKey));
			localStorage.setItem(key, JSON.stringify(k));
			return Promise.resolve(make(k));
		};
		PushManager.prototype.getSubscription = function () {
			const k = localStorage.getItem(key);
			return Promise.resolve(k ? make(JSON.parse(k)) : null);
		};
	}
	window.__badge = null;
	navigator.setAppBadge = (n) => { window.__badge = n; return Promise.resolve(); };
	navigator.clearAppBadge = () => { window.__badge = 0; return Promise.resolve(); };
})()`

func installPushStub(tb testing.TB, b *Browser, sub shared.PushSubscription) {
	tb.Helper()
	js, _ := json.Marshal(sub)
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(pushStub, js)}); err != nil {
		tb.Fatalf("e2e: install the push stub: %v", err)
	}
}

// withPush turns Web Push on, sending to svc.
func withPush(svc *pushtest.Service) webtest.Option {
	return func(c *web.Config) {
		c.Push = &push.Config{AllowPrivate: true, HTTPClient: svc.Client(), Backoff: 5 * time.Millisecond}
	}
}

// swValue evaluates a JavaScript expression (awaiting a promise) in the
// service worker of b's browser and returns its value.
//
// The worker may be starting (a push just delivered wakes a stopped one):
// its target appears a moment later on a loaded machine. Or it may be
// stopping, idle since the page left: a target found then never answers,
// and the push's wake-up starts another. So each try is short, and a try
// that times out looks for the worker's target again.
func swValue[T any](tb testing.TB, b *Browser, expr string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, browserWait)
	defer cancel()
	var lastErr error
	for {
		v, err := swTry[T](ctx, b, expr)
		if err == nil {
			return v
		}
		lastErr = err
		select {
		case <-ctx.Done():
			tb.Fatalf("e2e: in the service worker: %v", lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// swTry is one try of swValue: the first service worker target, asked
// within swTryWait.
func swTry[T any](ctx context.Context, b *Browser, expr string) (T, error) {
	var zero T
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		return zero, fmt.Errorf("targets: %w", err)
	}
	var id target.ID
	for _, ti := range targets {
		if ti.Type == "service_worker" {
			id = ti.TargetID
		}
	}
	if id == "" {
		return zero, fmt.Errorf("no service worker among %d targets", len(targets))
	}
	sw, swCancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	defer swCancel()
	wctx, wcancel := context.WithTimeout(sw, swTryWait)
	defer wcancel()
	go func() { // the try ends with the whole wait too
		select {
		case <-ctx.Done():
			wcancel()
		case <-wctx.Done():
		}
	}()
	return chromedp.Run(wctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// redeliverAfter is how long TestPushToClosedTab waits for a delivered
// push's notification before it delivers the push again.
const redeliverAfter = 15 * time.Second

// swTryWait bounds one try of swValue: a live worker answers in
// milliseconds.
const swTryWait = 10 * time.Second

// registrationID returns the id of the service worker registration of
// origin, for ServiceWorker.deliverPushMessage.
func registrationID(tb testing.TB, b *Browser, origin string) serviceworker.RegistrationID {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	events := chromedp.Events(ctx, serviceworker.WorkerRegistrationUpdated)
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		tb.Fatalf("e2e: ServiceWorker.enable: %v", err)
	}
	for ev, err := range events {
		if err != nil {
			tb.Fatalf("e2e: service worker registrations: %v", err)
		}
		for _, r := range ev.Registrations {
			if !r.IsDeleted && r.ScopeURL == origin+"/" {
				return r.RegistrationID
			}
		}
	}
	tb.Fatal("e2e: no service worker registration")
	return ""
}

type shownNote struct {
	Title    string `json:"title"`
	Body     string `json:"body"`
	Tag      string `json:"tag"`
	Path     string `json:"path"`
	Renotify bool   `json:"renotify"` // an update of the conversation's notification alerts again
}

const shownNotesJS = `self.registration.getNotifications().then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, path: (n.data && n.data.path) || "", renotify: !!n.renotify})))`

// TestPushToClosedTab: Bob enables notifications with a click, which
// subscribes his browser; the profile lists the device. With his Natter
// page closed, Ann's message is pushed by the server to the test's push
// service, which decrypts it; the test hands the decrypted push to Bob's
// service worker (ServiceWorker.deliverPushMessage), which shows one
// notification titled with the conversation, tagged for it and linking to
// it. A click on it opens the conversation in the Natter window, offline
// too.
func TestPushToClosedTab(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	ann, annH := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	plans := mustConv(t, srv, ann, "Plans", bob)
	dev := svc.NewDevice(t, "bob-chromium")

	B := MustBrowser(t, "bob")
	installPushStub(t, B, dev.Subscription())
	signIn(t, B, srv, bob)
	// The profile's Turn on (the sidebar's Enable notifications takes the
	// same path; TestNotifications clicks that one). The permission is
	// granted just before the click, as the user's Allow would: granted
	// earlier, the page would subscribe by itself at load.
	B.Run(t, "the profile offers push for this device",
		chromedp.Navigate(srv.URL+shared.RouteProfile), Visible("#push-on"),
		WaitJS(`navigator.serviceWorker.controller !== null`))
	grantNotifications(t, B, srv.URL)
	B.Run(t, "turn it on", Click("#push-on"))
	var session int64
	waitUntil(t, "the subscription reaches the server", func() bool {
		err := srv.Store.DB.NewRaw(`SELECT session_id FROM push_subscriptions WHERE endpoint = ?`, dev.Subscription().Endpoint).
			Scan(context.Background(), &session)
		return err == nil && session != 0
	})
	B.Run(t, "the profile lists this device",
		WaitText("#push-list", "this device"),
		WaitText("#push-list", "Chrome"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#push-devices").scrollIntoView({block: "center"})`))
	B.Shots(t, "push-devices")
	B.Axe(t, "profile-push")
	// Turn off: the browser gives the subscription up and the server
	// forgets it; Turn on makes it again.
	B.Run(t, "turn it off", Click("#push-list .push-off"), WaitText("#push-status", "Notifications are off"),
		WaitJS(`localStorage.getItem("natter.test-push") === null`), WaitJS(`document.querySelectorAll("#push-list .push-device").length === 0`))
	if n := countPushRows(t, srv); n != 0 {
		t.Fatalf("%d subscriptions after Turn off", n)
	}
	B.Run(t, "and on again", Click("#push-on"), WaitText("#push-list", "this device"))
	waitUntil(t, "the subscription is back on the server", func() bool { return countPushRows(t, srv) == 1 })
	reg := registrationID(t, B, srv.URL)

	B.Run(t, "Bob closes Natter", chromedp.Navigate("about:blank"))
	waitUntil(t, "the server sees Bob's device gone", func() bool { return !srv.Hub.DeviceConnected(session) })
	annWS := srv.MustConnect(t, annH, nil)
	annWS.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: plans.ID, Body: "dinner at 8?"})
	p := svc.Next(t, dev.Name, webtest.Timeout)
	if p.Err != nil || p.Payload.Title != "Plans" || p.Payload.Body != ann.Nickname+": dinner at 8?" || p.Payload.Tag != shared.PushTag(plans.ID) {
		t.Fatalf("push = %+v, %v", p.Payload, p.Err)
	}
	deliver := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(B.Ctx, browserWait)
		defer cancel()
		if _, err := chromedp.Call(ctx, serviceworker.DeliverPushMessage,
			serviceworker.DeliverPushMessageParams{Origin: srv.URL, RegistrationID: reg, Data: string(p.Plain)}); err != nil {
			t.Fatalf("e2e: deliver the push (%s): %v", what, err)
		}
	}
	// Under heavy load a push delivered while the idle worker was being
	// stopped (the page left ~30 s before) was lost: the worker stayed
	// stopped, with no target, for a minute (seen on the commit before
	// this test's retry as well). A push service retries an undelivered
	// push; so does the test, and the notification's tag collapses a
	// second copy, which the test checks below anyway.
	var shown []shownNote
	deadline := time.Now().Add(browserWait)
	for len(shown) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the service worker showed no notification within %s", browserWait)
		}
		deliver("page closed")
		ctx, cancel := context.WithTimeout(B.Ctx, redeliverAfter)
		for len(shown) == 0 && ctx.Err() == nil {
			if v, err := swTry[[]shownNote](ctx, B, shownNotesJS); err == nil {
				shown = v
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
		cancel()
	}
	want := shownNote{Title: "Plans", Body: ann.Nickname + ": dinner at 8?", Tag: shared.PushTag(plans.ID), Path: shared.ConversationPath(plans.ID), Renotify: true}
	if len(shown) != 1 || shown[0] != want {
		t.Fatalf("notifications %+v, want %+v", shown, want)
	}
	deliver("a second time")
	if n := swValue[[]shownNote](t, B, shownNotesJS); len(n) != 1 {
		t.Fatalf("the same conversation's notifications piled up: %+v", n)
	}

	// A click (headless Chromium has no notification to click: the test
	// dispatches the event the click would) opens the conversation in the
	// Natter window there is, offline too.
	B.Run(t, "Bob has Natter open on the dashboard", chromedp.Navigate(srv.URL+shared.RouteHome), Visible("#conv-list"))
	B.Offline(t, true)
	B.Run(t, "offline", WaitJS(connState+` === "offline"`))
	swValue[bool](t, B, `self.registration.getNotifications().then(ns => self.dispatchEvent(new NotificationEvent("notificationclick", {notification: ns[0]})))`)
	B.Run(t, "the click opens the conversation",
		WaitJS(`location.pathname === "`+shared.ConversationPath(plans.ID)+`"`),
		WaitText("#conv-header-title", "Plans"))
	if n := swValue[[]shownNote](t, B, shownNotesJS); len(n) != 0 {
		t.Fatalf("the clicked notification is still shown: %+v", n)
	}
	B.Offline(t, false)

	// Signing out drops the subscription in the browser and on the server.
	B.Run(t, "Bob signs out",
		chromedp.Navigate(srv.URL+shared.RouteProfile), Visible("#signout"),
		Click("#signout"), Click("#signout-confirm-yes"), Visible("#signin-login"))
	// The page may still be loading the sign-in page: wait across it.
	B.waitAcrossNavigation(t, "the browser's subscription is gone", `localStorage.getItem("natter.test-push") === null`)
	if n := countPushRows(t, srv); n != 0 {
		t.Fatalf("%d subscriptions after signing out", n)
	}
}

func countPushRows(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	var n int
	if err := srv.Store.DB.NewRaw(`SELECT count(*) FROM push_subscriptions`).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// browserWait bounds a wait on the browser: generous, since Chromium on a
// loaded machine (two cores shared by many test runs) can take seconds to
// start a service worker.
const browserWait = 60 * time.Second

// waitUntil waits, bounded, for what the test cannot await as an event
// (a row another process writes, a worker's state).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shots360 saves a screenshot at a 360 px phone and at desktop size.
func shots360(tb testing.TB, b *Browser, name string) {
	tb.Helper()
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone360", 360, 740}, {"desktop", 1280, 800}} {
		b.Run(tb, "resize", chromedp.EmulateViewport(size.w, size.h))
		b.Run(tb, "settle", chromedp.Sleep(300*time.Millisecond)) // layout only: nothing to await
		b.Screenshot(tb, name+"-"+size.label)
	}
	b.Run(tb, "resize back", chromedp.EmulateViewport(1280, 800))
}

// badgeJS is what the page last gave navigator.setAppBadge (0 for clear).
const badgeJS = `window.__badge`

// TestMuteAndBadge: Bob mutes a conversation from its header on one
// device; the mute survives a reload and shows on his other device. The
// unread total on the app badge and in the tab title leaves the muted
// conversation out (its own count stays in the list) and clears as Bob
// reads, on both devices.
func TestMuteAndBadge(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, annH := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	plans := mustConv(t, srv, ann, "Plans", bob)
	noise := mustConv(t, srv, ann, "Noise", bob)
	dummy := shared.PushSubscription{Endpoint: "https://push.invalid/none"}

	B1, B2 := MustBrowser(t, "bob-laptop"), MustBrowser(t, "bob-phone")
	for _, b := range []*Browser{B1, B2} {
		installPushStub(t, b, dummy)
		signIn(t, b, srv, bob)
	}
	B1.Run(t, "Bob opens Noise", chromedp.Navigate(srv.URL+shared.ConversationPath(noise.ID)), Visible("#composer"),
		Click("#mute-button"), Visible("#mute-forever"))
	shots360(t, B1, "mute-menu")
	B1.Axe(t, "mute-menu")
	B1.Run(t, "mute until turned back on", Click("#mute-forever"), WaitText("#mute-button", "Muted"))
	B1.Run(t, "the mute survives a reload",
		chromedp.Reload(), Visible("#composer"), WaitText("#mute-button", "Muted"))
	B2.Run(t, "and reaches the other device",
		chromedp.Navigate(srv.URL+shared.ConversationPath(noise.ID)), Visible("#composer"), WaitText("#mute-button", "Muted"))
	B2.Run(t, "the phone goes to the list", chromedp.Navigate(srv.URL+shared.RouteHome), Visible("#conv-list"))
	B1.Run(t, "the laptop goes to the list", chromedp.Navigate(srv.URL+shared.RouteHome), Visible("#conv-list"))

	annWS := srv.MustConnect(t, annH, nil)
	for _, m := range []struct{ conv, body string }{{noise.ID, "spam 1"}, {plans.ID, "one"}, {noise.ID, "spam 2"}, {plans.ID, "two"}} {
		annWS.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: m.conv, Body: m.body})
	}
	for _, b := range []*Browser{B1, B2} {
		b.Run(t, "two unread outside the muted conversation",
			WaitText("#conv-list", "two"),
			WaitJS(badgeJS+` === 2`),
			WaitJS(`document.title.startsWith("(2) ")`))
	}
	B1.Run(t, "Bob reads Plans on the laptop",
		chromedp.Navigate(srv.URL+shared.ConversationPath(plans.ID)), WaitText("#messages", "two"),
		WaitJS(badgeJS+` === 0`), WaitJS(`!document.title.startsWith("(")`))
	shots360(t, B1, "conversation") // also the manifest's screenshots (web/screenshot-*.png)
	B2.Run(t, "the phone's badge clears too", WaitJS(badgeJS+` === 0`), WaitJS(`!document.title.startsWith("(")`))
	B2.Run(t, "Noise still counts its unread in the list", WaitText("#conv-list", "spam 2"))
}

// TestInstallButton: when the browser offers installation (its
// beforeinstallprompt, which go-app's page script keeps), the Install
// button appears; a click shows the browser's prompt; once installed it is
// gone. The manifest carries a "New conversation" shortcut and screenshots.
func TestInstallButton(t *testing.T) {
	srv := webtest.MustServer(t)
	bob, _ := srv.MustSignUp(t, "bob")
	B := MustBrowser(t, "bob")
	signIn(t, B, srv, bob)
	B.Run(t, "the browser offers installation",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const e = new Event("beforeinstallprompt", {cancelable: true});
			e.prompt = () => { window.__prompted = true; };
			e.userChoice = Promise.resolve({outcome: "accepted"});
			window.dispatchEvent(e);
		})()`),
		Visible("#install-app"))
	shots360(t, B, "install-button")
	B.Run(t, "Install shows the browser's prompt", Click("#install-app"), WaitJS(`window.__prompted === true`))
	B.Run(t, "installed: the button goes",
		chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("appinstalled"))`),
		chromedp.WaitNotPresent(chromedp.CSS("#install-app")))
	var m struct {
		Shortcuts []struct {
			Name, URL string
		} `json:"shortcuts"`
		Screenshots []struct {
			Src        string `json:"src"`
			FormFactor string `json:"form_factor"`
		} `json:"screenshots"`
	}
	ctx, cancel := context.WithTimeout(B.Ctx, 15*time.Second)
	defer cancel()
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/manifest.webmanifest").then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Shortcuts) != 1 || m.Shortcuts[0].Name != "New conversation" || m.Shortcuts[0].URL != shared.RouteNew || len(m.Screenshots) != 2 {
		t.Fatalf("manifest = %+v", m)
	}
}

// TestEnableNotificationsSubscribes: the sidebar's Enable notifications
// (not only the profile's Turn on) subscribes this device for push, and
// only on the click: nothing is asked or subscribed on page load.
func TestEnableNotificationsSubscribes(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	bob, _ := srv.MustSignUp(t, "bob")
	dev := svc.NewDevice(t, "bob-chromium")
	B := MustBrowser(t, "bob")
	installPushStub(t, B, dev.Subscription())
	signIn(t, B, srv, bob)
	B.Run(t, "the button, nothing asked at load", Visible("#enable-notifications"),
		WaitJS(`Notification.permission === "default"`), WaitJS(connState+` === "connected"`),
		WaitJS(`navigator.serviceWorker.controller !== null`))
	if n := countPushRows(t, srv); n != 0 {
		t.Fatalf("%d subscriptions before the click", n)
	}
	grantNotifications(t, B, srv.URL) // the person's Allow
	B.Run(t, "enable notifications", Click("#enable-notifications"),
		chromedp.WaitNotPresent(chromedp.CSS("#enable-notifications")))
	waitUntil(t, "the device subscribed", func() bool { return countPushRows(t, srv) == 1 })
}

// TestEnableNotificationsSaysWhenPushFails: the browser grants permission
// but its push service refuses the subscription. The sidebar's Enable
// notifications says that notifications work only while Natter is open
// and points to the profile, and the server holds no subscription.
func TestEnableNotificationsSaysWhenPushFails(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	bob, _ := srv.MustSignUp(t, "bob")
	B := MustBrowser(t, "bob")
	installPushStub(t, B, svc.NewDevice(t, "bob-chromium").Subscription())
	ctx, cancel := context.WithTimeout(B.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window.PushManager) PushManager.prototype.subscribe = () => Promise.reject(new DOMException("Registration failed - push service error", "AbortError"));`,
	}); err != nil {
		t.Fatal(err)
	}
	signIn(t, B, srv, bob)
	B.Run(t, "the button", Visible("#enable-notifications"), WaitJS(`navigator.serviceWorker.controller !== null`))
	grantNotifications(t, B, srv.URL)
	B.Run(t, "enable notifications, push refused", Click("#enable-notifications"),
		WaitText("#notify-error", "Natter is open"), WaitText("#notify-error", "profile"))
	B.Shots(t, "notify-error")
	if n := countPushRows(t, srv); n != 0 {
		t.Fatalf("%d subscriptions after a refused subscribe", n)
	}
}
