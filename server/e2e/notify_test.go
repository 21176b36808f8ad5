package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun"

	"natter/server/webtest"
	"natter/shared"
)

// notificationRecorder runs before the app in every document of a tab. It
// records each notification the page asks for, through the service worker
// registration or the Notification constructor, in window.__natterNotes,
// and still passes the call on, so the originals keep working. Headless
// Chromium shows nothing, so this is how a test sees them.
const notificationRecorder = `(() => {
	if (window.__natterNotes) return;
	const notes = window.__natterNotes = [];
	const rec = (via, title, o) => {
		o = o || {};
		const n = {via, title: String(title), body: String(o.body || ""), tag: String(o.tag || ""),
			path: String((o.data && o.data.path) || ""), status: "pending"};
		notes.push(n);
		return n;
	};
	if (window.ServiceWorkerRegistration) {
		const show = ServiceWorkerRegistration.prototype.showNotification;
		ServiceWorkerRegistration.prototype.showNotification = function (title, o) {
			const n = rec("sw", title, o);
			const p = show.apply(this, arguments);
			p.then(() => { n.status = "shown"; }, e => { n.status = "error: " + e; });
			return p;
		};
	}
	if (window.Notification) {
		window.Notification = new Proxy(window.Notification, {
			construct(target, args) {
				const n = rec("page", args[0], args[1]);
				const made = Reflect.construct(target, args);
				made.addEventListener("show", () => { n.status = "shown"; });
				made.addEventListener("error", e => { n.status = "error: " + e.type; });
				window.__natterLastNotification = made;
				return made;
			},
		});
	}
})()`

// note is one notification the recorder saw.
type note struct {
	Via    string `json:"via"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Tag    string `json:"tag"`
	Path   string `json:"path"`
	Status string `json:"status"`
}

// recordNotifications installs notificationRecorder in b's tab for every
// page it loads from now on.
func recordNotifications(tb testing.TB, b *Browser) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: notificationRecorder}); err != nil {
		tb.Fatalf("e2e: install the notification recorder: %v", err)
	}
}

// grantNotifications answers the permission prompt for origin, as a user
// clicking Allow would.
func grantNotifications(tb testing.TB, b *Browser, origin string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"},
		Setting:    cdpbrowser.PermissionSettingGranted,
		Origin:     origin,
	}); err != nil {
		tb.Fatalf("e2e: grant notifications: %v", err)
	}
}

// notesJS is the recorded notifications, as JSON-friendly objects.
const notesJS = `(window.__natterNotes || [])`

// notesFor is a JavaScript expression counting the recorded notifications
// tagged for a conversation.
func notesFor(convID string) string {
	return fmt.Sprintf(`%s.filter(n => n.tag === %q).length`, notesJS, "conv-"+convID)
}

// swEval evaluates a JavaScript expression (awaiting a promise) in the
// service worker that controls b's page.
func swEval(tb testing.TB, b *Browser, expr string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		tb.Fatalf("e2e: list targets: %v", err)
	}
	var id target.ID
	for _, ti := range targets {
		if ti.Type == "service_worker" {
			id = ti.TargetID
		}
	}
	if id == "" {
		tb.Fatalf("e2e: no service worker among %d targets", len(targets))
	}
	// Detach on cancel: closing the worker's target would stop it.
	sw, swCancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	defer swCancel()
	wctx, wcancel := context.WithTimeout(sw, 15*time.Second)
	defer wcancel()
	if err := chromedp.Do(wctx, chromedp.Evaluate[chromedp.Void](expr, chromedp.EvalAwaitPromise)); err != nil {
		tb.Fatalf("e2e: in the service worker: %v", err)
	}
}

// WaitJSHidden waits for a JavaScript expression in a hidden tab, which gets
// no animation frames: it polls on a timer instead.
func WaitJSHidden(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second),
			chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return err
	})
}

// TestNotifications: Bob enables notifications from the button. A message
// from Ann in a conversation Bob is not looking at notifies him once, tagged
// for that conversation and linking to it; nothing notifies him of the
// conversation on screen, of his own messages from another device, or of a
// muted conversation. A conversation Ann starts with him notifies too. The
// notification's deep link opens its conversation, and when his tab is
// hidden, even the conversation on screen notifies, unless another of his
// tabs shows it; with two tabs, one notification, not two.
func TestNotifications(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, annHeader := srv.MustSignUp(t, "ann")
	bob, bobHeader := srv.MustSignUp(t, "bob")
	plans := mustConv(t, srv, ann, "Plans", bob)
	gossip := mustConv(t, srv, ann, "Gossip", bob)
	quiet := mustConv(t, srv, ann, "Quiet", bob)
	if err := srv.Store.RunInTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE conversation_members SET muted_until = '9999-12-31', mute_changed_at = now() WHERE conversation_id = ? AND user_id = ?`, quiet.ID, bob.ID)
		return err
	}); err != nil {
		t.Fatalf("mute: %v", err)
	}

	B := MustBrowser(t, "bob")
	recordNotifications(t, B)
	signIn(t, B, srv, bob)
	B.Run(t, "the button is there while nobody has asked",
		Visible("#enable-notifications"),
		WaitJS(`Notification.permission === "default"`))
	grantNotifications(t, B, srv.URL)
	B.Run(t, "enable notifications",
		Click("#enable-notifications"),
		WaitJS(`Notification.permission === "granted"`),
		chromedp.WaitNotPresent(chromedp.CSS("#enable-notifications")),
	)
	B.Run(t, "Bob looks at Gossip",
		chromedp.Navigate(srv.URL+shared.ConversationPath(gossip.ID)),
		Visible("#composer"),
		WaitJS(`navigator.serviceWorker.controller !== null`),
		WaitJS(connState+` === "connected"`),
	)

	annWS := srv.MustConnect(t, annHeader, nil)
	bobPhone := srv.MustConnect(t, bobHeader, nil)
	say := func(w *webtest.WS, convID, body string) {
		t.Helper()
		w.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: convID, Body: body})
	}

	say(annWS, gossip.ID, "on screen")
	B.Run(t, "Bob sees Ann's message on screen", WaitJS(countJS("on screen", "sent")+" === 1"))
	say(bobPhone, plans.ID, "from my phone")
	say(annWS, quiet.ID, "shh")
	say(annWS, plans.ID, "are you there?")
	// The messages arrive in this order on one connection, so once the last
	// one notified, the others had their chance to.
	B.Run(t, "a message in another conversation notifies", WaitJS(notesFor(plans.ID)+" >= 1"))
	notes := Eval[[]note](t, B, notesJS)
	if len(notes) != 1 {
		t.Fatalf("want one notification, got %+v", notes)
	}
	n := notes[0]
	if n.Tag != "conv-"+plans.ID || n.Path != shared.ConversationPath(plans.ID) || n.Body != "are you there?" || !contains(n.Title, ann.Nickname) {
		t.Fatalf("notification %+v: want tag conv-%s, path %s, body %q, title naming %s",
			n, plans.ID, shared.ConversationPath(plans.ID), "are you there?", ann.Nickname)
	}
	B.Run(t, "the browser showed it", WaitJS(notesJS+`.every(n => n.status === "shown")`))

	say(annWS, plans.ID, "hello?")
	B.Run(t, "the next one in that conversation has the same tag, so they collapse",
		WaitJS(notesFor(plans.ID)+" === 2"))

	surprise := shared.NewUUIDv7()
	annWS.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: surprise, Title: "Surprise", MemberIDs: []int64{bob.ID}})
	B.Run(t, "a conversation Ann starts with Bob notifies him",
		WaitText("#conv-list", "Surprise"),
		WaitJS(notesFor(surprise)+" === 1"))
	if got := Eval[[]note](t, B, notesJS+`.filter(n => n.tag === "conv-`+surprise+`")`); got[0].Path != shared.ConversationPath(surprise) {
		t.Fatalf("new conversation notification %+v: want path %s", got[0], shared.ConversationPath(surprise))
	}

	// A click on a notification: the service worker's notificationclick
	// focuses the tab and posts the path to it. Headless Chromium cannot
	// click a notification, so the worker posts what its handler would.
	swEval(t, B, fmt.Sprintf(`self.clients.matchAll({type: "window"}).then(cs =>
		cs.forEach(c => c.postMessage({goapp: {type: "notification", path: %q}})))`, shared.ConversationPath(plans.ID)))
	B.Run(t, "the deep link opens the conversation",
		WaitJS(`location.pathname === "`+shared.ConversationPath(plans.ID)+`"`),
		WaitText("#messages", "are you there?"))

	// Another tab in Bob's window comes to the front, hiding his Plans.
	front := mustTab(t, B, "bob-front-tab", chromedp.WithNewWindow(false))
	recordNotifications(t, front)
	B.Run(t, "Bob's app tab is hidden", WaitJSHidden(`document.visibilityState === "hidden"`))
	say(annWS, plans.ID, "while you were away")
	B.Run(t, "the conversation on screen notifies when the tab is hidden",
		WaitJSHidden(notesFor(plans.ID)+" === 3"))
	if got := Eval[[]note](t, B, notesJS); len(got) != 4 {
		t.Fatalf("want four notifications, got %+v", got)
	}

	// Bob opens Plans in the front tab too: he sees it there, so neither
	// tab notifies about it, and a message elsewhere notifies once, not
	// once per tab. The tab that holds the sender lock (the first one)
	// speaks for both.
	front.Run(t, "the front tab opens Plans",
		chromedp.Navigate(srv.URL+shared.ConversationPath(plans.ID)),
		Visible("#composer"),
		WaitJS(connState+` === "connected"`))
	say(annWS, plans.ID, "I see you")
	front.Run(t, "the front tab shows it", WaitJS(countJS("I see you", "sent")+" === 1"))
	say(annWS, gossip.ID, "over here")
	B.Run(t, "a message elsewhere notifies", WaitJSHidden(notesFor(gossip.ID)+" === 1"))
	front.Shots(t, "notify-front-tab")
	if got := Eval[[]note](t, B, notesJS); len(got) != 5 {
		t.Fatalf("the hidden tab: want five notifications, got %+v", got)
	}
	if got := Eval[[]note](t, front, notesJS); len(got) != 0 {
		t.Fatalf("the front tab notified too: %+v", got)
	}
}
