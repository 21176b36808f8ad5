package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// probe is installed in every document before its own scripts run. A
// MutationObserver notes, on the page's clock (ms since navigation start),
// when the app first draws its own frame (a skeleton is marked
// data-skeleton), when the conversation list is there and when the
// connection indicator says connected: observer callbacks run right after
// the DOM changes, so no polling interval blurs the figures.
const probe = `(() => {
	const t = window.natterBench = {};
	const check = () => {
		if (t.app === undefined && document.querySelector("#app:not([data-skeleton])")) t.app = performance.now();
		if (t.list === undefined && document.querySelector("#conv-list")) t.list = performance.now();
		const c = document.querySelector("#conn-status");
		if (t.connected === undefined && c && c.dataset.state === "connected") t.connected = performance.now();
	};
	new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state", "data-skeleton"]});
	// The WebSocket's first frame out (the hello) and in (the welcome):
	// when the page handled it, and when the browser queued it (timeStamp).
	const WS = window.WebSocket;
	window.WebSocket = function (...args) {
		const ws = new WS(...args);
		const send = ws.send;
		ws.send = function (d) { if (t.wsSend === undefined) t.wsSend = performance.now(); return send.call(this, d); };
		ws.addEventListener("message", (e) => { if (t.wsRecv === undefined) { t.wsRecv = performance.now(); t.wsRecvQueued = e.timeStamp; } });
		return ws;
	};
	window.WebSocket.prototype = WS.prototype;
	for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[k] = WS[k];
})()`

// visit is what one page load measured, in milliseconds since navigation
// start; zero means it did not happen.
type visit struct {
	FCP       float64            `json:"fcp"`       // first contentful paint
	App       float64            `json:"app"`       // the app's first frame
	List      float64            `json:"list"`      // conversation list drawn
	Connected float64            `json:"connected"` // indicator says connected
	Marks     map[string]float64 `json:"marks"`     // natter:* performance marks
	WSSend    float64            `json:"wsSend"`    // the WebSocket's first frame sent (the hello)
	WSRecv    float64            `json:"wsRecv"`    // its first frame handled (the welcome)
	WSQueued  float64            `json:"wsQueued"`  // when the browser queued that frame
	Bytes     float64            `json:"bytes"`     // transferred: page and resources
	Wasm      float64            `json:"wasm"`      // transferred for app.wasm
}

const collect = `JSON.stringify({
	fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime || 0,
	app: window.natterBench.app || 0, list: window.natterBench.list || 0, connected: window.natterBench.connected || 0,
	wsSend: window.natterBench.wsSend || 0, wsRecv: window.natterBench.wsRecv || 0, wsQueued: window.natterBench.wsRecvQueued || 0,
	marks: Object.fromEntries(performance.getEntriesByType("mark").filter((m) => m.name.startsWith("natter:")).map((m) => [m.name, m.startTime])),
	bytes: performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).reduce((s, e) => s + (e.transferSize || 0), 0),
	wasm: performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/web/app.wasm").reduce((s, e) => s + (e.transferSize || 0), 0),
})`

// jsFlags passes V8 flags to Chromium, for experiments that explain a
// figure (e.g. --no-wasm-lazy-compilation: how much of a cold start is V8
// compiling functions on their first call). Figures taken with it are not
// what a person's browser does: never report them as the build's.
var jsFlags = flag.String("js-flags", "", "V8 flags for Chromium (experiments only)")

// browser is a headless Chromium with a fresh profile.
type browser struct {
	ctx    context.Context
	cancel func()
}

func newBrowser(chromium string) (*browser, error) {
	dir, err := os.MkdirTemp("", "clientbench-profile-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	}
	if *jsFlags != "" {
		opts = append(opts, chromedp.Flag("js-flags", *jsFlags))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	b := &browser{ctx: ctx, cancel: func() { cancel(); acancel(); os.RemoveAll(dir) }}
	if err := chromedp.Do(ctx); err != nil {
		b.cancel()
		return nil, err
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe}); err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

// run runs actions with a generous deadline: the machine may be busy.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(90*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return err
	})
}

// newSignedIn starts a browser with a fresh profile and b's session
// cookie, no page loaded yet.
func newSignedIn(chromium string, b *build) (*browser, error) {
	br, err := newBrowser(chromium)
	if err != nil {
		return nil, err
	}
	if err := br.signIn(b); err != nil {
		br.cancel()
		return nil, err
	}
	return br, nil
}

// signIn gives the browser the user's session cookie without loading a
// page, so the first visit is cold.
func (b *browser) signIn(bd *build) error {
	u, _ := url.Parse(bd.url)
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: bd.cookie.Name, Value: bd.cookie.Value, Domain: u.Hostname(), Path: "/",
	})
	return err
}

// load navigates to url, waits until ready is true and returns the figures.
func (b *browser) load(url, ready string) (visit, error) {
	var v visit
	if err := b.run(chromedp.Navigate(url), waitJS(ready)); err != nil {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerHTML.slice(0, 1500) + "\n" + `+collect))
		return v, fmt.Errorf("load %s: %w\n%s", url, err, state)
	}
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](collect))
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(s), &v)
}

// offline cuts the network for the page and its service worker.
func (b *browser) offline(off bool) error {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	yes := true
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &yes,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
	return err
}

// idbState is, as JSON, how many records each of the app's IndexedDB
// stores holds and the keys of its conversations: what an offline start
// will find.
const idbState = `(async () => {
	const db = await new Promise((ok, fail) => { const r = indexedDB.open("natter"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
	const out = {};
	for (const name of db.objectStoreNames) {
		out[name] = await new Promise((ok, fail) => { const r = db.transaction(name).objectStore(name).count(); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
	}
	if (db.objectStoreNames.contains("convs")) {
		out.convKeys = await new Promise((ok, fail) => { const r = db.transaction("convs").objectStore("convs").getAllKeys(); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
	}
	db.close();
	out.listed = document.querySelectorAll("#conv-list li").length;
	return JSON.stringify(out);
})()`

// state reports idbState, or why it could not.
func (b *browser) state() string {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](idbState, chromedp.EvalAwaitPromise))
	if err != nil {
		return "(IndexedDB unreadable: " + err.Error() + ")"
	}
	return s
}

// cutCold, an experiment (-cutcold), deletes the conversations' records
// after the cold visit and keeps the user's: what the warm visit's
// navigation leaves when it cuts the cold visit's write short right after
// its first record. The offline visit must still list every conversation
// (main.go: stored).
var cutCold = flag.Bool("cutcold", false, "experiment: delete the conversations from IndexedDB after the cold visit, as a write cut short leaves them")

const clearConvsJS = `(async () => {
	const db = await new Promise((ok, fail) => { const r = indexedDB.open("natter"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
	try {
		for (const name of ["convs", "messages", "words"]) {
			await new Promise((ok, fail) => { const tx = db.transaction(name, "readwrite"); tx.objectStore(name).clear(); tx.oncomplete = ok; tx.onabort = () => fail(tx.error); });
		}
	} finally {
		db.close();
	}
	return true;
})()`

// clearConvs runs clearConvsJS.
func (b *browser) clearConvs() error {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](clearConvsJS, chromedp.EvalAwaitPromise))
	return err
}
