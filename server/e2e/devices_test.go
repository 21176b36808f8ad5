package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"natter/server/pgbroker"
	"natter/server/push/pushtest"
	"natter/server/webtest"
	"natter/shared"
)

// idbCensus is a JavaScript expression listing every IndexedDB database of
// the page's origin with the record count of each object store.
const idbCensus = `(async () => {
	const out = {};
	for (const d of await indexedDB.databases()) {
		const db = await new Promise((ok, fail) => { const r = indexedDB.open(d.name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
		for (const name of db.objectStoreNames) {
			out[d.name + "/" + name] = await new Promise((ok, fail) => {
				const r = db.transaction(name).objectStore(name).count(); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
		}
		db.close();
	}
	return JSON.stringify(out);
})()`

// cacheCensus lists every Cache Storage entry of the origin and the
// secrets (JSON array) found in any text body.
func cacheCensus(secrets ...string) string {
	s, _ := json.Marshal(secrets)
	return fmt.Sprintf(`(async () => {
	const secrets = %s, urls = [], found = [];
	for (const name of await caches.keys()) {
		const cache = await caches.open(name);
		for (const req of await cache.keys()) {
			urls.push(new URL(req.url).pathname);
			if (new URL(req.url).pathname.endsWith(".wasm")) continue;
			const body = await (await cache.match(req)).text();
			for (const s of secrets) if (body.includes(s)) found.push(req.url + " holds " + s);
		}
	}
	return JSON.stringify({urls, found});
})()`, s)
}

// EvalAsync evaluates JavaScript that returns a promise and returns what it
// resolves to.
func EvalAsync[T any](tb testing.TB, b *Browser, expr string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("e2e: eval %s: %v", expr, err)
	}
	return v
}

// idbRecords returns the record count per database/store.
func idbRecords(tb testing.TB, b *Browser) map[string]int {
	tb.Helper()
	var m map[string]int
	if err := json.Unmarshal([]byte(EvalAsync[string](tb, b, idbCensus)), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// mustDeviceWiped checks that b's origin keeps nothing of the user: no
// IndexedDB record in any store of any database, no resume token or other
// sessionStorage entry but the sign-out notice, nothing in localStorage
// but the device id, and no secret in any Cache Storage entry (which holds
// the app shell only).
func mustDeviceWiped(t *testing.T, b *Browser, secrets ...string) {
	t.Helper()
	recs := idbRecords(t, b)
	if len(recs) == 0 {
		t.Errorf("%s: no object store found: the census is broken", b.name)
	}
	for store, n := range recs {
		if n != 0 {
			t.Errorf("%s: IndexedDB %s still holds %d records", b.name, store, n)
		}
	}
	if keys := Eval[[]string](t, b, `Object.keys(sessionStorage)`); len(keys) != 1 || keys[0] != "natter.signed-out" {
		t.Errorf("%s: sessionStorage holds %q, want only the sign-out notice", b.name, keys)
	}
	if keys := Eval[[]string](t, b, `Object.keys(localStorage)`); len(keys) > 1 || (len(keys) == 1 && keys[0] != "natter.device") {
		t.Errorf("%s: localStorage holds %q, want at most the device id", b.name, keys)
	}
	var cc struct {
		URLs  []string `json:"urls"`
		Found []string `json:"found"`
	}
	if err := json.Unmarshal([]byte(EvalAsync[string](t, b, cacheCensus(secrets...))), &cc); err != nil {
		t.Fatal(err)
	}
	if len(cc.Found) > 0 {
		t.Errorf("%s: Cache Storage holds user data: %q", b.name, cc.Found)
	}
	for _, u := range cc.URLs {
		if strings.HasPrefix(u, "/api/") || strings.HasPrefix(u, "/ws") {
			t.Errorf("%s: Cache Storage holds %s", b.name, u)
		}
	}
	t.Logf("%s: Cache Storage holds only %d app-shell entries", b.name, len(cc.URLs))
}

// TestSignOutEverywhereWipesDevices: ann has a conversation, a message
// queued offline and a draft in one browser with two tabs. Before signing
// out the UI says what would be deleted, with the counts. Then she signs out
// of all devices from another browser: both tabs, the offline one too,
// wipe everything of hers and show sign-in with the reason.
func TestSignOutEverywhereWipesDevices(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Secret plans", bob)
	url := srv.URL + shared.ConversationPath(chat.ID)

	A1 := MustBrowser(t, "ann-tab1")
	signIn(t, A1, srv, ann)
	A1.Run(t, "tab 1 opens the chat", chromedp.Navigate(url), Visible("#composer"),
		WaitJS(`navigator.serviceWorker.controller !== null`), WaitJS(connState+` === "connected"`),
		send("sent-secret"), WaitJS(countJS("sent-secret", "sent")+" === 1"))
	A1.Offline(t, true)
	A1.Run(t, "tab 1 queues a message offline and drafts another",
		WaitJS(connState+` === "offline"`),
		send("queued-secret"), WaitJS(countJS("queued-secret", "queued")+" === 1"),
		TypeInto("#composer", "draft-secret"))
	A1.Run(t, "the draft is stored", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`(async () => { const db = await new Promise(ok => { const r = indexedDB.open("natter"); r.onsuccess = () => ok(r.result); });
			const n = await new Promise(ok => { const r = db.transaction("drafts").objectStore("drafts").count(); r.onsuccess = () => ok(r.result); });
			db.close(); return n === 1; })()`, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, tg)
		return err
	}))
	before := idbRecords(t, A1)
	if before["natter/outbox"] < 1 || before["natter/drafts"] != 1 || before["natter/convs"] == 0 || before["natter/messages"] == 0 || before["natter/meta"] != 1 {
		t.Fatalf("before the revocation IndexedDB holds %v, want the user's data", before)
	}

	A1.Run(t, "sign out asks first, with what it deletes",
		chromedp.EmulateViewport(1280, 800), // the layout's height is the screenshot's
		chromedp.Navigate(srv.URL+shared.RouteProfile), Visible("#signout-all"),
		Click("#signout-all"), Visible("#signout-confirm"),
		WaitText("#signout-detail", "1 message or change not sent yet and 1 draft"),
		WaitJS(`(() => { const r = document.querySelector("#signout-confirm-yes").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`))
	A1.Shots(t, "signout-confirm")
	A1.Run(t, "cancel keeps everything", Click("#signout-confirm-no"), Visible("#signout-all"))
	if after := idbRecords(t, A1); after["natter/outbox"] != before["natter/outbox"] || after["natter/drafts"] != 1 {
		t.Fatalf("cancel changed IndexedDB: %v", after)
	}

	// A second tab, online, while tab 1 (offline) keeps the sender lock and
	// so the queued message.
	A2 := mustTab(t, A1, "ann-tab2")
	A2.Run(t, "tab 2 opens the app", chromedp.Navigate(srv.URL+shared.RouteHome), Visible("#new-conversation"),
		WaitJS(connState+` === "connected"`))

	// Another device: ann signs in elsewhere and signs out of all devices.
	other := MustBrowser(t, "ann-elsewhere")
	signIn(t, other, srv, ann)
	other.Run(t, "sign out of all devices elsewhere",
		chromedp.Navigate(srv.URL+shared.RouteProfile), Click("#signout-all"), Visible("#signout-confirm"),
		WaitText("#signout-detail", "Nothing is waiting to be sent"),
		Click("#signout-confirm-yes"))
	other.waitAcrossNavigation(t, "the other device shows sign-in",
		`location.pathname === "/signin" && !!document.querySelector("#signin-login") && `+
			`(document.querySelector("#signed-out-notice")||{innerText:""}).innerText.includes("You signed out of all your devices.")`)

	for _, tab := range []*Browser{A2, A1} { // A2 hears it on its connection, A1 (offline) from A2
		tab.waitAcrossNavigation(t, "the tab shows sign-in with the reason",
			`location.pathname === "/signin" && !!document.querySelector("#signin-login") && `+
				`(document.querySelector("#signed-out-notice")||{innerText:""}).innerText.includes("You were signed out of this device because you signed out")`)
		mustDeviceWiped(t, tab, "sent-secret", "queued-secret", "draft-secret", "Secret plans", ann.Nickname)
	}
	A1.Shots(t, "signed-out-revoked")

	// Back online, nothing queued before the revocation reaches anyone.
	A1.Offline(t, false)
	A1.Run(t, "sign in again", TypeInto("#signin-login", ann.Nickname), TypeInto("#signin-password", "correct horse battery"),
		Click("#signin-submit"), Visible("#new-conversation"), WaitJS(connState+` === "connected"`))
	if n := A1.notice(t); n != "" {
		t.Errorf("the notice stays after signing in: %q", n)
	}
	mustHistoryOnce(t, srv, bob, chat.ID, []string{"sent-secret"})
}

// waitAcrossNavigation waits until expr is true in b's page while the app
// itself navigates (a wipe loads the sign-in page): each check is its own
// evaluation, so a page that goes away between checks fails none of them.
func (b *Browser) waitAcrossNavigation(tb testing.TB, what, expr string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.Screenshot(tb, "failure-"+sanitize(what))
			tb.Fatalf("e2e %s: %s: not true after 30s (last error %v)\nconsole:\n%s", b.name, what, err, b.Console())
		}
		<-tick.C
	}
}

// notice returns the sign-out notice's text, or "".
func (b *Browser) notice(tb testing.TB) string {
	return Eval[string](tb, b, `(document.querySelector("#signed-out-notice")||{innerText:""}).innerText`)
}

// TestDisabledAccountWipesDevice: the operator disables bob (the admin
// CLI's path: the store, then the disconnect control every node applies);
// his open tab wipes everything and says the account is disabled. His
// browser had push on: its subscription is given up in the browser too
// (the server deleted its copy with the account's sessions).
func TestDisabledAccountWipesDevice(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Bob's last chat", bob)
	B := MustBrowser(t, "bob")
	dev := svc.NewDevice(t, "bob-chromium")
	installPushStub(t, B, dev.Subscription())
	grantNotifications(t, B, srv.URL) // allowed before: the page subscribes once connected
	signIn(t, B, srv, bob)
	B.Run(t, "bob writes and drafts", chromedp.Navigate(srv.URL+shared.ConversationPath(chat.ID)), Visible("#composer"),
		WaitJS(connState+` === "connected"`),
		send("bob-secret"), WaitJS(countJS("bob-secret", "sent")+" === 1"),
		TypeInto("#composer", "bob-draft"))
	waitUntil(t, "bob's browser subscribed for push", func() bool { return countPushRows(t, srv) == 1 })
	if Eval[bool](t, B, `localStorage.getItem("natter.test-push") === null`) {
		t.Fatal("the browser holds no subscription")
	}

	if err := srv.Store.SetUserDisabled(context.Background(), bob.ID, true); err != nil {
		t.Fatal(err)
	}
	pgbroker.Apply(srv.Hub)(pgbroker.Control{Kind: pgbroker.KindDisconnectUser, UserID: bob.ID})
	B.waitAcrossNavigation(t, "bob sees sign-in and why",
		`location.pathname === "/signin" && !!document.querySelector("#signin-login") && `+
			`(document.querySelector("#signed-out-notice")||{innerText:""}).innerText.includes("This account has been disabled.")`)
	B.Run(t, "the browser gave its push subscription up", WaitJS(`localStorage.getItem("natter.test-push") === null`))
	if n := countPushRows(t, srv); n != 0 {
		t.Fatalf("%d push subscriptions kept for a disabled account", n)
	}
	mustDeviceWiped(t, B, "bob-secret", "bob-draft", "Bob's last chat", bob.Nickname)
	B.Shots(t, "signed-out-disabled")
}
