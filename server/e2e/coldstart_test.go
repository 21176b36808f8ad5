package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// countingProxy stands between the browser and the server and counts the
// requests for each path: the service worker's own downloads happen in
// another target than the page's, so only the server side sees them all.
type countingProxy struct {
	URL string
	mu  sync.Mutex
	n   map[string]int
}

func mustCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{n: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.n[r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *countingProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[path]
}

// wasmCached becomes true once app.wasm is in the service worker's cache:
// each poll starts a look into the caches and reports the previous one.
const wasmCached = `(() => {
	(async () => { for (const k of await caches.keys()) { if (await (await caches.open(k)).match("/web/app.wasm", {ignoreSearch: true})) return true; } return false; })()
		.then((v) => { window.natterTestWasmCached = v; });
	return window.natterTestWasmCached === true;
})()`

// TestColdVisitLoadsTheWasmOnce: a first visit downloads app.wasm once —
// the page's own download is what the service worker keeps, the worker's
// install does not fetch it again — and that copy is enough to start the
// app offline afterwards, signed in, with no further download.
func TestColdVisitLoadsTheWasmOnce(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	proxy := mustCountingProxy(t, srv.URL)

	A := MustBrowser(t, "ann")
	A.Run(t, "cold visit", chromedp.Navigate(proxy.URL+shared.RouteSignIn), Visible("#signin-login"),
		WaitJS(`navigator.serviceWorker.controller !== null`))
	A.Run(t, "the page keeps its wasm for offline starts", WaitJS(wasmCached))
	A.Run(t, "the worker is installed", WaitJS(`navigator.serviceWorker.controller.state === "activated"`))
	if n := proxy.count("/web/app.wasm"); n != 1 {
		t.Fatalf("a cold visit downloaded app.wasm %d times, want 1", n)
	}

	signIn(t, A, &webtest.Server{URL: proxy.URL}, ann)
	A.Run(t, "warm visit", chromedp.Navigate(proxy.URL+shared.RouteHome), Visible("#new-conversation"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`))
	A.Offline(t, true)
	A.Run(t, "offline reload starts from the cache", chromedp.Navigate(proxy.URL+shared.RouteHome), Visible("#new-conversation"),
		WaitJS(`!document.querySelector("[data-skeleton]")`))
	A.Offline(t, false)
	if n := proxy.count("/web/app.wasm"); n != 1 {
		t.Fatalf("app.wasm downloaded %d times over a cold, a warm and an offline visit, want 1", n)
	}
}

// startRecorder notes on the page's clock when the page registers its
// service worker and when the app marks its start over, before the page's
// own scripts run.
const startRecorder = `(() => {
	window.natterTestStart = {};
	const sw = navigator.serviceWorker;
	if (!sw) return;
	const register = sw.register.bind(sw);
	sw.register = (...args) => { window.natterTestStart.register ??= performance.now(); return register(...args); };
})()`

// quietAfter is how long after the app's start the first visit's
// background work waits at least (natterQuietAfter in server/web/loader.js).
const quietAfter = 2000.0

// startTimes reads what startRecorder noted, and the natter:ready and
// natter:wasm-cached marks: -1 for what did not happen.
const startTimes = `(() => {
	const mark = (n) => (performance.getEntriesByName(n, "mark")[0] || {startTime: -1}).startTime;
	return [window.natterTestStart.register ?? -1, mark("natter:ready"), mark("natter:wasm-cached")];
})()`

// TestServiceWorkerWaitsForTheStart: a first visit registers the service
// worker, and stores the wasm for offline use, only in a quiet moment after
// the app has started (connected and caught up, or with nothing to connect
// to on the sign-in page), quietAfter later: the worker's install and the
// megabytes written to its cache would otherwise compete with the compile
// and the first screen, and then with what the person does first (the
// first older page of a conversation took half again as long). Both still
// happen, so the next visit works offline.
func TestServiceWorkerWaitsForTheStart(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	for _, tc := range []struct {
		name, path string
		signedIn   bool
	}{
		{"signed in, home", shared.RouteHome, true},
		{"signed out, the sign-in page", shared.RouteSignIn, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			A := MustBrowser(t, "ann")
			A.OnEveryPage(t, startRecorder)
			if tc.signedIn {
				A.SignInWith(t, srv.URL, ha)
			}
			A.Run(t, "cold visit", chromedp.Navigate(srv.URL+tc.path),
				WaitJS(`navigator.serviceWorker.controller !== null`), WaitJS(wasmCached))
			got := Eval[[]float64](t, A, startTimes)
			register, ready, cached := got[0], got[1], got[2]
			if ready < 0 {
				t.Fatalf("the app never marked natter:ready (register at %.0f ms)", register)
			}
			if register < ready+quietAfter {
				t.Errorf("the service worker registered at %.0f ms, less than %.0f ms after the app's start was over at %.0f ms", register, quietAfter, ready)
			}
			if cached < ready+quietAfter {
				t.Errorf("the wasm was stored at %.0f ms, less than %.0f ms after the app's start was over at %.0f ms", cached, quietAfter, ready)
			}
		})
	}
}
