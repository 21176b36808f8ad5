package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/pgtest"
	"natter/server/webtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// chromium finds Debian's Chromium; the test fails (never skips) without it.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{os.Getenv("NATTER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	tb.Fatal("e2e: Chromium not found: install it with `apt-get install chromium` (./build.sh test does)")
	return ""
}

// mustWasmBuilt fails with the fix when the web app has not been built.
func mustWasmBuilt(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(webtest.WebDir(), "app.wasm")); err != nil {
		tb.Fatalf("e2e: %s/app.wasm missing: run ./build.sh build (./build.sh test does it first)", webtest.WebDir())
	}
}

// Browser is one independent Chromium profile (its own storage, cookies and
// service worker) with one tab.
type Browser struct {
	Ctx    context.Context
	cancel context.CancelFunc
	name   string

	mu      sync.Mutex
	console []string
}

// MustBrowser starts a headless Chromium with a fresh profile.
func MustBrowser(tb testing.TB, name string) *Browser {
	tb.Helper()
	mustWasmBuilt(tb)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(tb)),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	if err := chromedp.Do(ctx); err != nil {
		acancel()
		tb.Fatalf("e2e: start Chromium: %v", err)
	}
	b := &Browser{Ctx: ctx, name: name, cancel: func() { cancel(); acancel() }}
	tb.Cleanup(b.cancel)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, string(m.Type)+": "+m.Text)
			if len(b.console) > 40 {
				b.console = b.console[len(b.console)-40:]
			}
			b.mu.Unlock()
		}
	}()
	return b
}

// Console returns the page's latest console messages, for failure reports.
func (b *Browser) Console() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.console, "\n")
}

// Run runs actions with a deadline, failing the test with what was being
// done.
func (b *Browser) Run(tb testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		hctx, hcancel := context.WithTimeout(b.Ctx, 5*time.Second)
		html, _ := chromedp.Run(hctx, chromedp.OuterHTML(chromedp.CSS("body")))
		rows, _ := chromedp.Run(hctx, chromedp.Evaluate[string](failureRows))
		hcancel()
		b.Screenshot(tb, "failure-"+sanitize(what))
		if len(html) > 3000 {
			html = html[:3000] + "…"
		}
		tb.Fatalf("e2e %s: %s: %v\nbody: %s\nrows: %s\nconsole:\n%s", b.name, what, err, html, rows, b.Console())
	}
}

// failureRows lists, for a failure report, the conversation list and the
// message rows in the DOM (seq, state, first words): the body is cut at
// 3,000 characters, usually before them.
const failureRows = `(() => {
	const t = (e) => (e.innerText || "").replace(/\s+/g, " ").slice(0, 40);
	const convs = [...document.querySelectorAll("#conv-list li")].map(t);
	const msgs = [...document.querySelectorAll("#messages li")].map((e) => (e.dataset.seq || "-") + "/" + (e.dataset.state || "") + "/" + e.className + ": " + t(e));
	return JSON.stringify({page: location.pathname, convs, msgs});
})()`

// Offline switches CDP network emulation: the page sees navigator.onLine
// false and every request fails, as on a plane.
func (b *Browser) Offline(tb testing.TB, offline bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	yes := true
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		tb.Fatalf("e2e: network.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &yes,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		tb.Fatalf("e2e: emulate offline=%v: %v", offline, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		tb.Fatalf("e2e: navigator.onLine=%v: %v", !offline, err)
	}
}

// SignInWith gives the browser the session cookie of a Cookie header
// (webtest's MustSignUp) without loading a page, so that its first visit
// is a signed-in cold one.
func (b *Browser) SignInWith(tb testing.TB, srvURL string, h http.Header) {
	tb.Helper()
	u, err := url.Parse(srvURL)
	if err != nil {
		tb.Fatal(err)
	}
	name, value, _ := strings.Cut(h.Get("Cookie"), "=")
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, Domain: u.Hostname(), Path: "/"}); err != nil {
		tb.Fatalf("e2e: set the session cookie: %v", err)
	}
}

// OnEveryPage runs script in every page the tab loads from now on, before
// the page's own scripts: a probe noting what the page does as it starts.
func (b *Browser) OnEveryPage(tb testing.TB, script string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		tb.Fatalf("e2e: install a script in every page: %v", err)
	}
}

var artifactsDir = func() string {
	if d := os.Getenv("NATTER_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "natter-artifacts")
}()

// Screenshot saves the viewport as PNG into the artifacts directory.
func (b *Browser) Screenshot(tb testing.TB, name string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Logf("e2e: screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(artifactsDir, 0o755)
	path := filepath.Join(artifactsDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Logf("e2e: save screenshot: %v", err)
	}
}

// Shots saves a screenshot at phone and desktop sizes.
func (b *Browser) Shots(tb testing.TB, name string) {
	tb.Helper()
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
		b.Run(tb, "resize", chromedp.EmulateViewport(size.w, size.h))
		b.Run(tb, "settle", chromedp.Sleep(300*time.Millisecond)) // layout only: nothing to await
		b.Screenshot(tb, name+"-"+size.label)
	}
	b.Run(tb, "resize back", chromedp.EmulateViewport(1280, 800))
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// WaitText waits until the element's text contains want.
func WaitText(sel, want string) chromedp.Action[chromedp.Void] {
	return WaitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want))
}

// WaitJS waits until a JavaScript expression is true.
func WaitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second))(ctx, t)
		return err
	})
}

// TypeInto clears an input and types text into it.
func TypeInto(sel, text string) chromedp.Action[chromedp.Void] {
	// Null-safe: the element can be re-rendered between the wait and this
	// (a navigation replacing the composer); the poll then tries again.
	clear := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, sel)
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		WaitJS(clear),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// Click clicks the element matching a CSS selector once it is visible and
// holds still. chromedp clicks at coordinates: in a list that re-sorts as
// events arrive (the conversation list), a click aimed at a row that moves
// in between lands on its neighbour. So the row must keep the same box over
// three polls and be what the browser hit-tests at its centre.
func Click(sel string) chromedp.Action[chromedp.Void] {
	click := chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), WaitJS(stillJS(sel)), chromedp.Click(chromedp.CSS(sel)))
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// go-app may replace the element between the query and the click
		// (a sibling before it changing kind shifts the children it
		// compares by position): the node id goes stale. Find it again.
		var err error
		for range 3 {
			if _, err = click(ctx, t); err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
				return err
			}
		}
		return err
	})
}

// stillJS is true once the element matching sel has kept its box for three
// polls in a row and its centre, when on screen, hit-tests to it.
func stillJS(sel string) string {
	return fmt.Sprintf(`(() => {
		const sel = %q, e = document.querySelector(sel);
		const seen = window.__e2eStill || (window.__e2eStill = {});
		if (!e) { delete seen[sel]; return false; }
		const r = e.getBoundingClientRect(), box = [r.x, r.y, r.width, r.height].join();
		const s = seen[sel] && seen[sel].box === box ? seen[sel] : (seen[sel] = {box, n: 0});
		if (++s.n < 3) return false;
		const x = r.x + r.width / 2, y = r.y + r.height / 2;
		if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) { delete seen[sel]; return true; }
		const h = document.elementFromPoint(x, y);
		if (h && (h === e || e.contains(h))) { delete seen[sel]; return true; }
		return false;
	})()`, sel)
}

// Visible waits for the element matching a CSS selector to be visible.
func Visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// Eval evaluates JavaScript and returns its value.
func Eval[T any](tb testing.TB, b *Browser, expr string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.Fatalf("e2e: eval %s: %v", expr, err)
	}
	return v
}
