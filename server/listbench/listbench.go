// Package listbench measures the message list in a real browser: the page
// probes and the scenarios shared by the e2e benchmark
// (server/e2e/listbench_test.go) and the client benchmark
// (server/cmd/clientbench), so both measure the same thing the same way.
// Each scenario takes a chromedp tab's context on a page showing a
// conversation and returns milliseconds; a scenario that cannot finish
// returns an error instead of a partial figure.
package listbench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chromedp/chromedp"
)

// ProbeJS installs the page-side probes once the page shows the list:
// keystroke to next frame, and the frame that first shows a message row by
// id.
const ProbeJS = `(() => {
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

// FrameProbeJS notes when each message.created frame reaches the page,
// before the app sees it: installed before the app starts
// (page.AddScriptToEvaluateOnNewDocument), it wraps WebSocket so its own
// listener runs first.
const FrameProbeJS = `(() => {
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

// NewestProbeJS, installed before the app starts, notes on the page's
// clock when a row with the id in window.natterNewest (set by the same
// script from location.hash, "#newest=msg-N") first shows, and the frame
// after: how long a page takes to show the newest message.
const NewestProbeJS = `(() => {
	const m = /newest=([\w-]+)/.exec(location.hash);
	if (!m) return;
	const id = m[1];
	window.natterNewest = {};
	const check = () => {
		if (window.natterNewest.dom === undefined && document.getElementById(id)) {
			window.natterNewest.dom = performance.now();
			requestAnimationFrame(() => { window.natterNewest.painted = performance.now(); });
		}
		const c = document.querySelector("#conn-status");
		if (window.natterNewest.connected === undefined && c && c.dataset.state === "connected") window.natterNewest.connected = performance.now();
	};
	new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
})()`

// Eval evaluates expr in the page.
func Eval[T any](ctx context.Context, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		return v, fmt.Errorf("listbench: eval %.60s: %w", expr, err)
	}
	return v, nil
}

// Wait polls expr until it is true.
func Wait(ctx context.Context, expr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))(ctx, t)
		return err
	}))
	if err != nil {
		return fmt.Errorf("listbench: wait for %.80s: %w", expr, err)
	}
	return nil
}

// OlderPages scrolls to the top of the list again and again until the
// start of the conversation shows, and returns for each older page the
// milliseconds from the scroll to the first frame whose list grew by more
// than a screen (the page drawn, or its spacer) or shows the start of the
// conversation. max bounds the pages.
func OlderPages(ctx context.Context, max int) ([]float64, error) {
	var out []float64
	for range max {
		done, err := Eval[bool](ctx, `!!document.querySelector("#messages .history.is-start")`)
		if err != nil || done {
			return out, err
		}
		// Drawn when the list grew by a screen, or showed its start (the
		// oldest page may be shorter than a screen).
		ms, err := evalPromise[float64](ctx, `new Promise((done, fail) => {
			const l = document.querySelector("#messages"), h0 = l.scrollHeight, t0 = performance.now();
			window.natterOlderT0 = t0; // for probes that break a step down
			l.scrollTop = 0;
			const check = () => {
				if (l.scrollHeight > h0 + l.clientHeight || l.querySelector(".history.is-start")) return done(performance.now() - t0);
				const e = l.querySelector(".history.is-error");
				if (e) return fail(new Error(e.textContent));
				// The list placing the previous page may have moved the view
				// after this scroll: scroll up again, as a reader would.
				if (!l.querySelector(".history .spinner") && l.scrollTop > 0) l.scrollTop = 0;
				requestAnimationFrame(check);
			};
			requestAnimationFrame(check);
		})`)
		if err != nil {
			state, _ := Eval[string](ctx, `(() => { const l = document.querySelector("#messages"); const rows = l.querySelectorAll(".msg[data-seq]"); const h = l.querySelector(".history");
				return "scrollTop " + l.scrollTop + " of " + l.scrollHeight + " (view " + l.clientHeight + "), " + rows.length + " rows drawn from seq " + (rows[0] || {dataset: {}}).dataset.seq + ", history row: " + (h ? h.className + " " + h.textContent : "none"); })()`)
			return out, fmt.Errorf("listbench: older page %d: %w (%s)", len(out)+1, err, state)
		}
		out = append(out, ms)
	}
	return out, nil
}

// evalPromise is Eval for an expression that returns a promise.
func evalPromise[T any](ctx context.Context, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// LivePaint sends count messages one at a time (send returns the seq and
// when it started writing) and returns for each the milliseconds from the
// write to the frame that first shows its row, and from the WebSocket
// frame's arrival in the page (FrameProbeJS) to that frame.
func LivePaint(ctx context.Context, count int, send func(i int) (int64, time.Time, error)) (fromWrite, fromFrame []float64, err error) {
	for i := range count {
		next, err := Eval[int64](ctx, `(() => { const ids = [...document.querySelectorAll("#messages .msg[data-seq]")].map(m => +m.dataset.seq); return Math.max(0, ...ids) + 1; })()`)
		if err != nil {
			return nil, nil, err
		}
		id := fmt.Sprint("msg-", next)
		if _, err := Eval[bool](ctx, fmt.Sprintf(`(natterWant.add(%q), true)`, id)); err != nil {
			return nil, nil, err
		}
		seq, t0, err := send(i)
		if err != nil {
			return nil, nil, err
		}
		if seq != next {
			return nil, nil, fmt.Errorf("listbench: live message %d got seq %d, watched %d", i, seq, next)
		}
		if err := Wait(ctx, fmt.Sprintf(`!!natterPainted[%q]`, id), 30*time.Second); err != nil {
			return nil, nil, err
		}
		at, err := Eval[float64](ctx, fmt.Sprintf(`natterPainted[%q]`, id))
		if err != nil {
			return nil, nil, err
		}
		fromWrite = append(fromWrite, at-float64(t0.UnixMicro())/1000)
		if f, _ := Eval[float64](ctx, fmt.Sprintf(`(window.natterFrames || {})[%q] || 0`, fmt.Sprint(seq))); f > 0 {
			fromFrame = append(fromFrame, at-f)
		}
	}
	return fromWrite, fromFrame, nil
}

// KeysUnderLoad types keys characters into the field while perSecond
// messages arrive (send delivers one), and returns each keystroke's
// milliseconds to the next frame.
func KeysUnderLoad(ctx context.Context, field string, keys, perSecond int, send func(i int)) ([]float64, error) {
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
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}()
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS(field)), chromedp.Click(chromedp.CSS(field))); err != nil {
		return nil, fmt.Errorf("listbench: focus %s: %w", field, err)
	}
	if _, err := Eval[bool](ctx, `(natterKeys.length = 0, true)`); err != nil {
		return nil, err
	}
	for i := range keys {
		if err := chromedp.Do(tctx, chromedp.SendKeys(chromedp.CSS(field), string(rune('a'+i%26)))); err != nil {
			return nil, fmt.Errorf("listbench: type: %w", err)
		}
	}
	close(stop)
	<-done
	if err := Wait(ctx, fmt.Sprintf(`natterKeys.length >= %d`, keys), 30*time.Second); err != nil {
		return nil, err
	}
	return Eval[[]float64](ctx, `natterKeys`)
}

// Median is the middle value of v (nearest rank), 0 when empty.
func Median(v []float64) float64 { return Pct(v, 0.5) }

// Pct returns the p-th quantile (nearest rank) of v, 0 when empty.
func Pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}
