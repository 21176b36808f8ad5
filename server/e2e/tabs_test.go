package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// mustTab opens another tab in b's browser: the same profile, so the same
// cookies, IndexedDB, Web Locks and BroadcastChannel, as when a user opens
// the app twice. By default the tab gets a window of its own, so both stay
// visible; chromedp.WithNewWindow(false) puts it in b's window, where it
// becomes the active tab and hides b's.
func mustTab(tb testing.TB, b *Browser, name string, opts ...chromedp.ContextOption) *Browser {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.Ctx, opts...)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		tb.Fatalf("e2e: open tab %s: %v", name, err)
	}
	tab := &Browser{Ctx: ctx, name: name, cancel: cancel}
	tb.Cleanup(cancel)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, string(m.Type)+": "+m.Text)
			if len(tab.console) > 40 {
				tab.console = tab.console[len(tab.console)-40:]
			}
			tab.mu.Unlock()
		}
	}()
	return tab
}

// connState is a JavaScript expression for the connection indicator's state.
const connState = `(document.querySelector("#conn-status")||{dataset:{}}).dataset.state`

// TestTabsShareOneOutbox: one user with two tabs of one browser on the same
// conversation. One tab holds the sender lock, the other waits for it. Both
// go offline and each queues messages: each tab shows the other's queued
// messages at once (IndexedDB + BroadcastChannel), in one shared order.
// Back online, the other user gets every message exactly once and in that
// order, and both tabs show each exactly once as sent. When the sender tab
// goes away, the waiting tab takes the lock and sends.
func TestTabsShareOneOutbox(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Two tabs", bob)
	url := srv.URL + shared.ConversationPath(chat.ID)

	A1 := MustBrowser(t, "ann-tab1")
	B := MustBrowser(t, "bob")
	signIn(t, A1, srv, ann)
	signIn(t, B, srv, bob)
	A1.Run(t, "tab 1 opens the chat", chromedp.Navigate(url), Visible("#composer"),
		WaitJS(`navigator.serviceWorker.controller !== null`),
		WaitJS(connState+` === "connected"`))
	A2 := mustTab(t, A1, "ann-tab2")
	A2.Run(t, "tab 2 opens the same chat", chromedp.Navigate(url), Visible("#composer"),
		WaitJS(connState+` === "connected"`),
		// Tab 1 holds the sender lock; tab 2 waits in line for it.
		WaitJS(`(async () => { const q = await navigator.locks.query();
			return q.held.filter(l => l.name === "natter-sender").length === 1 &&
				q.pending.filter(l => l.name === "natter-sender").length === 1; })()`))
	B.Run(t, "B opens the chat", chromedp.Navigate(url), Visible("#composer"))

	B.Run(t, "B says hello", send("hello tabs"), WaitJS(countJS("hello tabs", "sent")+" === 1"))
	A2.Run(t, "tab 2 writes while online", send("online from tab 2"))
	for _, tab := range []*Browser{A1, A2} {
		tab.Run(t, "both tabs show both messages as sent",
			WaitJS(countJS("hello tabs", "sent")+" === 1"),
			WaitJS(countJS("online from tab 2", "sent")+" === 1"))
	}
	B.Run(t, "B gets tab 2's message", WaitJS(countJS("online from tab 2", "")+" === 1"))

	A1.Offline(t, true)
	A2.Offline(t, true)
	for _, tab := range []*Browser{A1, A2} {
		tab.Run(t, "offline", WaitJS(connState+` === "offline"`))
	}
	queued := []struct {
		tab  *Browser
		text string
	}{{A1, "tab1 first"}, {A2, "tab2 second"}, {A1, "tab1 third"}, {A2, "tab2 fourth"}}
	for _, q := range queued {
		other := A1
		if q.tab == A1 {
			other = A2
		}
		q.tab.Run(t, "queue "+q.text, send(q.text), WaitJS(countJS(q.text, "queued")+" === 1"))
		other.Run(t, "the other tab shows "+q.text+" queued before reconnecting",
			WaitJS(countJS(q.text, "queued")+" === 1"))
	}
	want := []string{"tab1 first", "tab2 second", "tab1 third", "tab2 fourth"}
	for _, tab := range []*Browser{A1, A2} {
		if got := Eval[[]string](t, tab, msgTexts); !inOrder(got, want...) {
			t.Fatalf("%s shows the queue out of order: %q", tab.name, got)
		}
	}
	A1.Shots(t, "tabs-queued-tab1")
	A2.Shots(t, "tabs-queued-tab2")

	A2.Offline(t, false)
	A1.Offline(t, false)
	B.Run(t, "B gets the four queued messages", WaitJS(countJS("tab2 fourth", "")+" === 1"))
	for _, tab := range []*Browser{A1, A2} {
		for _, text := range want {
			tab.Run(t, tab.name+" shows "+text+" sent once",
				WaitJS(countJS(text, "sent")+" === 1"),
				WaitJS(countJS(text, "")+" === 1"))
		}
		tab.Run(t, "no queued or failed rows left",
			WaitJS(`document.querySelectorAll('#messages .msg:not([data-state="sent"])').length === 0`))
	}
	got := Eval[[]string](t, B, msgTexts)
	for _, text := range want {
		if n := countOf(got, text); n != 1 {
			t.Fatalf("B sees %q %d times: %q", text, n, got)
		}
	}
	if !inOrder(got, want...) {
		t.Fatalf("B sees the queued messages out of order: %q", got)
	}
	A1.Shots(t, "tabs-sent-tab1")
	A2.Shots(t, "tabs-sent-tab2")
	mustHistoryOnce(t, srv, bob, chat.ID, append([]string{"hello tabs", "online from tab 2"}, want...))

	// Tab 1 leaves the app: the browser hands the lock to tab 2, which
	// now sends by itself.
	A1.Run(t, "tab 1 leaves", chromedp.Navigate("about:blank"))
	A2.Run(t, "tab 2 takes over sending", send("tab 2 alone"), WaitJS(countJS("tab 2 alone", "sent")+" === 1"))
	B.Run(t, "B gets it", WaitJS(countJS("tab 2 alone", "")+" === 1"))
	mustHistoryOnce(t, srv, bob, chat.ID, append([]string{"hello tabs", "online from tab 2"}, append(want, "tab 2 alone")...))
}

// mustHistoryOnce checks what the server holds: exactly these message
// bodies, once each, in this order.
func mustHistoryOnce(t *testing.T, srv *webtest.Server, u shared.User, convID string, want []string) {
	t.Helper()
	h, err := srv.Store.History(context.Background(), u.ID, convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range h.Messages {
		if m.Kind == shared.KindText {
			got = append(got, m.Body)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("server holds %s, want %s", fmt.Sprintf("%q", got), fmt.Sprintf("%q", want))
	}
}
