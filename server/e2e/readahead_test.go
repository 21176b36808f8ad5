package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// historyProbe notes the oldest seq in any history page that reaches the
// page (an ack holding "history"), before the app sees it. Installed before
// the app starts, it wraps WebSocket so its own listener runs first.
const historyProbe = `(() => {
	const WS = window.WebSocket;
	window.natterHistoryMin = 0;
	window.WebSocket = function (...args) {
		const ws = new WS(...args);
		ws.addEventListener("message", e => {
			if (typeof e.data !== "string" || !e.data.includes('"history":{')) return;
			for (const m of e.data.matchAll(/"seq":(\d+)/g)) if (!natterHistoryMin || +m[1] < natterHistoryMin) natterHistoryMin = +m[1];
		});
		return ws;
	};
	window.WebSocket.prototype = WS.prototype;
	for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[k] = WS[k];
})()`

// spinnerWatch notes in window.natterSpinnerFirst whether the list, from
// now on, draws the "Loading older messages" spinner while the row given
// (the first older message) is not drawn: the reader waiting for the
// server. A spinner drawn with that row, for the page after it, is no wait.
const spinnerWatch = `((seq) => {
	window.natterSpinnerFirst = false;
	new MutationObserver(rs => { for (const r of rs) for (const n of r.addedNodes)
		if (n.nodeType === 1 && (n.matches(".spinner") || n.querySelector(".spinner")) &&
			!document.querySelector('#messages .msg[data-seq="' + seq + '"]')) natterSpinnerFirst = true;
	}).observe(document.querySelector("#msgs-list"), {childList: true, subtree: true});
	return true;
})`

// spinnerAny is spinnerWatch's second note, window.natterSpinnerAny:
// whether the list draws the spinner at all from now on.
const spinnerAny = `(() => {
	window.natterSpinnerAny = false;
	new MutationObserver(rs => { for (const r of rs) for (const n of r.addedNodes)
		if (n.nodeType === 1 && (n.matches(".spinner") || n.querySelector(".spinner"))) natterSpinnerAny = true;
	}).observe(document.querySelector("#msgs-list"), {childList: true, subtree: true});
	return true;
})()`

// Opening a conversation reads the page before what it holds ahead: the
// first step up, even straight to the top of what is held, draws the
// older messages at once, with no spinner before them and no wait for the
// server, and then reads the next page ahead without merging it.
func TestFirstStepUpFindsItsPageReadAhead(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	const n = shared.ReplayPageMax + 3*client.HistoryPage
	conv := seedConversation(t, srv, ann, bob, n, n)
	oldestHeld := n - shared.ReplayPageMax + 1
	aheadFrom := oldestHeld - client.HistoryPage

	A := MustBrowser(t, "ann")
	ctx, cancel := context.WithTimeout(A.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: historyProbe}); err != nil {
		t.Fatalf("install the history probe: %v", err)
	}
	signIn(t, A, srv, ann)
	// Caught up on the home page first, so that the conversation opens on
	// what the device holds (the newest ReplayPageMax) and asks the server
	// for nothing but the page read ahead.
	A.Run(t, "load the home page until caught up",
		chromedp.Navigate(srv.URL+shared.RouteHome),
		WaitJS(`performance.getEntriesByName("natter:ready", "mark").length > 0`),
	)
	A.Run(t, "open the conversation from the sidebar, at its newest message",
		Click(fmt.Sprintf(`a[href=%q]`, shared.ConversationPath(conv))),
		WaitJS(shows(fmt.Sprint("m", n))),
	)
	A.Run(t, "the page before what is held is read ahead",
		WaitJS(fmt.Sprintf(`natterHistoryMin === %d`, aheadFrom)))
	if held := Eval[int](t, A, `Math.min(...[...document.querySelectorAll("#messages .msg[data-seq]")].map(m => +m.dataset.seq))`); held < oldestHeld {
		t.Fatalf("the page read ahead was drawn before the reader got there: row %d shown, %d is the oldest held", held, oldestHeld)
	}
	A.Run(t, "scroll straight to the top: the page read ahead is drawn",
		WaitJS(fmt.Sprintf("%s(%d)", spinnerWatch, oldestHeld-1)), WaitJS(spinnerAny),
		WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return true; })()`),
		WaitJS(fmt.Sprintf(`!!document.querySelector('#messages .msg[data-seq="%d"]')`, oldestHeld-1)),
	)
	if Eval[bool](t, A, `natterSpinnerFirst`) {
		t.Fatal("the first step up drew a spinner before the older messages: it waited for the server")
	}
	// The step asks for the page after it, to hold ahead, and nothing else:
	// the reader stays on the row they were at, a page below the top, so no
	// second page is merged at once behind a spinner. (The list used to ask
	// whether to load more from where the scroll had left the view, the
	// top, before placing it: every step took two pages.)
	A.Run(t, "the next page is read ahead, and held",
		WaitJS(fmt.Sprintf(`natterHistoryMin > 0 && natterHistoryMin <= %d`, aheadFrom-client.HistoryPage)),
		WaitJS(`!!document.querySelector("#load-older")`),
	)
	if Eval[bool](t, A, `natterSpinnerAny`) {
		t.Fatal("after the step up the list drew a spinner: it merged a second page at once instead of holding it ahead")
	}
}
