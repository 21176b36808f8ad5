package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// BenchmarkMessageList measures the message list in a real browser, on
// whatever app is in NATTER_WEB, so two builds can be compared in one run
// (run it alternately with each's web directory):
//
//	NATTER_WEB=$PWD/web go test ./server/e2e/ -run '^$' -bench MessageList -benchtime 1x
//
// It reports, with 2,000 messages loaded: each older page from the scroll
// that asks for it to the frame that shows it (first pages and last pages,
// to show whether it grows with the history), a live message from the
// sender's write to the frame that paints it, and keystroke to next frame
// while 20 messages a second arrive. The probes (probeJS) and the three
// measurements are plain functions over a Browser, for the client
// benchmark to reuse.
func BenchmarkMessageList(b *testing.B) {
	for range b.N {
		srv := webtest.MustServer(b)
		ann, _ := srv.MustSignUp(b, "ann")
		bob, hb := srv.MustSignUp(b, "bob")
		const n = 2000
		conv := seedConversation(b, srv, ann, bob, n, n)
		A := MustBrowser(b, "ann")
		if _, err := chromedp.Call(A.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: frameProbeJS}); err != nil {
			b.Fatal(err)
		}
		signInTB(b, A, srv, ann)
		A.Run(b, "open", chromedp.Navigate(srv.URL+shared.ConversationPath(conv)), WaitJS(`!!document.getElementById("msg-2000")`))
		Eval[bool](b, A, probeJS)

		pages := OlderPages(b, A)
		A.Run(b, "back to the newest", WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight; return !!document.getElementById("msg-2000"); })()`))
		wb := srv.MustConnect(b, hb, nil)
		live, framed := LivePaint(b, A, 40, func(i int) (int64, time.Time) {
			t0 := time.Now()
			ack := wb.MustAck(b, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: fmt.Sprint("live ", i)})
			return ack.Message.Seq, t0
		})
		keys := KeysUnderLoad(b, A, "#composer", 60, 20, func(i int) {
			wb.MustSend(b, shared.TypeMessageSend, shared.NewUUIDv7(), shared.MessageSend{ConversationID: conv, Body: fmt.Sprint("busy ", i)})
		})
		first, last := pages[:min(3, len(pages))], pages[max(0, len(pages)-3):]
		b.ReportMetric(median(first), "older-first3-ms")
		b.ReportMetric(median(last), "older-last3-ms")
		b.ReportMetric(median(live), "live-p50-ms")
		b.ReportMetric(pct(live, 0.9), "live-p90-ms")
		b.ReportMetric(median(framed), "frame-paint-p50-ms")
		b.ReportMetric(pct(framed, 0.9), "frame-paint-p90-ms")
		b.ReportMetric(median(keys), "key-p50-ms")
		b.ReportMetric(pct(keys, 0.9), "key-p90-ms")
		b.ReportMetric(slices.Max(keys), "key-max-ms")
		b.Logf("older pages (ms): %v", pages)
	}
}

// probeJS installs the page-side probes: keystroke to next frame, and the
// frame that first shows a message row by id.
const probeJS = `(() => {
	window.natterKeys = [];
	document.addEventListener("keydown", e => { const t0 = e.timeStamp; requestAnimationFrame(() => natterKeys.push(performance.now() - t0)); }, true);
	window.natterPainted = {};
	window.natterWant = new Set();
	new MutationObserver(() => {
		for (const id of natterWant) {
			if (document.getElementById(id)) { natterWant.delete(id); requestAnimationFrame(() => { natterPainted[id] = Date.now(); }); }
		}
	}).observe(document.body, {childList: true, subtree: true});
	return true;
})()`

// frameProbeJS notes when each message.created frame reaches the page,
// before the app sees it: installed before the app starts, it wraps
// WebSocket so its own listener runs first.
const frameProbeJS = `(() => {
	const WS = window.WebSocket;
	window.natterFrames = {};
	window.WebSocket = function (...args) {
		const ws = new WS(...args);
		ws.addEventListener("message", e => {
			if (typeof e.data !== "string") return;
			const now = Date.now();
			for (const m of e.data.matchAll(/"type":"message\.created"(?:,"id":"[^"]*")?,"seq":(\d+)/g)) natterFrames[m[1]] ??= now;
		});
		return ws;
	};
	window.WebSocket.prototype = WS.prototype;
	for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[k] = WS[k];
})()`

// OlderPages scrolls to the top of the list again and again until the
// start of the conversation shows, and returns for each older page the
// milliseconds from the scroll to the first frame whose list grew by more
// than a screen (the page drawn, or its spacer).
func OlderPages(tb testing.TB, b *Browser) []float64 {
	tb.Helper()
	var out []float64
	for range 200 {
		if Eval[bool](tb, b, `document.querySelector("#messages").innerText.includes("This is the beginning of the conversation.")`) {
			return out
		}
		ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(done => {
			const l = document.querySelector("#messages"), h0 = l.scrollHeight, t0 = performance.now();
			l.scrollTop = 0;
			const check = () => l.scrollHeight > h0 + l.clientHeight ? done(performance.now() - t0) : requestAnimationFrame(check);
			requestAnimationFrame(check);
		})`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			tb.Fatalf("older page %d: %v", len(out)+1, err)
		}
		out = append(out, ms)
	}
	tb.Fatal("the start of the conversation never showed")
	return nil
}

// LivePaint sends count messages one at a time (send returns the seq and
// when it started writing) and returns for each the milliseconds from the
// write to the frame that first shows its row, and from the WebSocket
// frame's arrival in the page (frameProbeJS) to that frame.
func LivePaint(tb testing.TB, b *Browser, count int, send func(i int) (int64, time.Time)) (fromWrite, fromFrame []float64) {
	tb.Helper()
	for i := range count {
		next := Eval[int64](tb, b, `(() => { const ids = [...document.querySelectorAll("#messages .msg[data-seq]")].map(m => +m.dataset.seq); return Math.max(0, ...ids) + 1; })()`)
		id := fmt.Sprint("msg-", next)
		Eval[bool](tb, b, fmt.Sprintf(`(natterWant.add(%q), true)`, id))
		seq, t0 := send(i)
		if seq != next {
			tb.Fatalf("live message %d got seq %d, watched %d", i, seq, next)
		}
		b.Run(tb, "painted", WaitJS(fmt.Sprintf(`!!natterPainted[%q]`, id)))
		at := Eval[float64](tb, b, fmt.Sprintf(`natterPainted[%q]`, id))
		fromWrite = append(fromWrite, at-float64(t0.UnixMicro())/1000)
		if f := Eval[float64](tb, b, fmt.Sprintf(`(window.natterFrames || {})[%q] || 0`, fmt.Sprint(seq))); f > 0 {
			fromFrame = append(fromFrame, at-f)
		}
	}
	return fromWrite, fromFrame
}

// KeysUnderLoad types keys characters into the field while perSecond
// messages arrive (send delivers one), and returns each keystroke's
// milliseconds to the next frame.
func KeysUnderLoad(tb testing.TB, b *Browser, field string, keys, perSecond int, send func(i int)) []float64 {
	tb.Helper()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				send(i)
			}
		}
	}()
	b.Run(tb, "focus", Click(field))
	Eval[bool](tb, b, `(natterKeys.length = 0, true)`)
	for i := range keys {
		b.Run(tb, "type", chromedp.SendKeys(chromedp.CSS(field), string(rune('a'+i%26))))
	}
	close(stop)
	<-done
	b.Run(tb, "all keys framed", WaitJS(fmt.Sprintf(`natterKeys.length >= %d`, keys)))
	return Eval[[]float64](tb, b, `natterKeys`)
}

func median(v []float64) float64 { return pct(v, 0.5) }

// pct returns the p-th quantile (nearest rank) of v.
func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// signInTB is signIn for benchmarks.
func signInTB(tb testing.TB, b *Browser, srv *webtest.Server, u shared.User) {
	tb.Helper()
	b.Run(tb, "sign in as "+u.Nickname,
		chromedp.Navigate(srv.URL+shared.RouteSignIn),
		TypeInto("#signin-login", u.Nickname),
		TypeInto("#signin-password", "correct horse battery"),
		Click("#signin-submit"),
		Visible("#new-conversation"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
	)
}
