package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

// seedConversation makes a conversation of ann and bob holding n messages
// from bob ("m1" to "mN"), with ann's read cursor at seen.
func seedConversation(t testing.TB, srv *webtest.Server, ann, bob shared.User, n int, seen int64) string {
	t.Helper()
	ctx := context.Background()
	conv, err := srv.Store.CreateConversation(ctx, ann.ID, shared.NewUUIDv7(), shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "long", MemberIDs: []int64{bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for done := 0; done < n; {
		var batch []store.SendRequest
		for ; done < n && len(batch) < 1000; done++ {
			batch = append(batch, store.SendRequest{UserID: bob.ID, ActionID: shared.NewUUIDv7(), ConversationID: conv.ID, Body: fmt.Sprint("m", done+1)})
		}
		for _, r := range srv.Store.SendMessages(ctx, batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	if seen > 0 {
		if _, _, err := srv.Store.MarkSeen(ctx, ann.ID, shared.NewUUIDv7(), conv.ID, seen); err != nil {
			t.Fatal(err)
		}
	}
	return conv.ID
}

// seenOnServer is ann's read cursor in a conversation, as the server has it.
func seenOnServer(t *testing.T, srv *webtest.Server, userID int64, convID string) int64 {
	t.Helper()
	convs, err := srv.Store.ConversationsForUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		if c.ID == convID {
			if m := c.Member(userID); m != nil {
				return m.SeenSeq
			}
		}
	}
	t.Fatalf("conversation %s not found for %d", convID, userID)
	return 0
}

// JS helpers over the message list.
const (
	jsMsgRows = `document.querySelectorAll("#messages .msg").length`
	// jsShows is true when a message with the body is drawn inside the
	// list's viewport.
	jsShows = `((body) => { const l = document.querySelector("#messages"); if (!l) return false; const box = l.getBoundingClientRect();
		return [...l.querySelectorAll(".msg")].some(m => { const b = m.querySelector(".msg-body"); const r = m.getBoundingClientRect();
			return b && b.innerText.trim() === body && r.bottom > box.top && r.top < box.bottom; }); })`
)

// jsCount is the number on "Jump to latest", 0 without one.
const jsCount = `(+((document.querySelector("#jump-count") || {}).innerText || "0").replace(/\D/g, ""))`

// countRight is true when "Jump to latest" counts the messages after the
// newest one shown (its first line on screen), the newest being lastSeq.
func countRight(lastSeq int) string {
	return fmt.Sprintf(`(() => { const l = document.querySelector("#messages"); const box = l.getBoundingClientRect();
		const shown = [...l.querySelectorAll(".msg[data-seq]")].filter(m => { const r = m.getBoundingClientRect(); return r.top + Math.min(r.height, 24) <= box.bottom && r.bottom > box.top; });
		if (!shown.length) return false;
		return %s === %d - +shown[shown.length - 1].dataset.seq; })()`, jsCount, lastSeq)
}

func shows(body string) string { return fmt.Sprintf("%s(%q)", jsShows, body) }

// A conversation of 5,000 messages: the DOM holds a few hundred rows
// whatever is loaded; scrolling to the top loads and shows the first
// message; a live message while reading old history moves nothing and
// counts in "Jump to latest"; a permalink opens in a fresh browser at its
// message, highlighted, and scrolling works both ways from there.
func TestLongConversationWindowed(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	const n = 5000
	conv := seedConversation(t, srv, ann, bob, n, n)
	// Sent before the device's retention window (client.DefaultRetention:
	// 30 days, at least the newest 1,000 kept), so that this device keeps
	// the newest 1,000 of them and no more, however far ann scrolls back.
	if _, err := srv.Store.DB.NewRaw(`UPDATE messages SET created_at = created_at - interval '60 days' WHERE conversation_id = ?`, conv).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "open the conversation at its newest message",
		chromedp.Navigate(srv.URL+shared.ConversationPath(conv)),
		WaitJS(shows(fmt.Sprint("m", n))),
	)
	if rows := Eval[int](t, A, jsMsgRows); rows > 300 || rows < 5 {
		t.Fatalf("%d message rows in the DOM at the bottom", rows)
	}

	A.Run(t, "scroll to the top until the first message shows",
		WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return `+shows("m1")+`; })()`),
		WaitText("#messages", "This is the beginning of the conversation."),
	)
	if rows := Eval[int](t, A, jsMsgRows); rows > 300 {
		t.Fatalf("%d message rows in the DOM with %d messages loaded", rows, n)
	}

	// Reading old history: a live message moves nothing and is counted.
	A.Run(t, "read a little below the top", WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = 400; return true; })()`),
		WaitJS(countRight(n)))
	before := Eval[int](t, A, jsCount)
	anchor := Eval[string](t, A, `(() => { const l = document.querySelector("#messages"); const box = l.getBoundingClientRect();
		const m = [...l.querySelectorAll(".msg")].find(m => m.getBoundingClientRect().top >= box.top + 40);
		return m.dataset.seq + ":" + Math.round(m.getBoundingClientRect().top); })()`)
	wb := srv.MustConnect(t, hb, nil)
	wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: "live while reading"})
	A.Run(t, "the live message is counted", WaitJS(fmt.Sprintf(`%s === %d && %s`, jsCount, before+1, countRight(n+1))))
	after := Eval[string](t, A, fmt.Sprintf(`(() => { const [seq, top] = %q.split(":"); const m = document.querySelector('#messages .msg[data-seq="' + seq + '"]');
		return m ? seq + ":" + Math.round(m.getBoundingClientRect().top) : "gone"; })()`, anchor))
	if after != anchor {
		t.Fatalf("what the reader looked at moved: %s before, %s after the live message", anchor, after)
	}
	A.Shots(t, "jump-to-latest")
	A.Run(t, "jump to latest", Click("#jump-latest"), WaitJS(shows("live while reading")),
		chromedp.WaitNotPresent(chromedp.CSS("#jump-latest")))

	// Offline, a permalink to a message kept on this device opens it (a
	// fresh page load, served by the service worker from its cache).
	A.Run(t, "service worker", WaitJS(`navigator.serviceWorker.controller !== null`))
	A.Offline(t, true)
	A.Run(t, "open a cached message's permalink offline",
		chromedp.Navigate(srv.URL+shared.MessagePath(conv, n-40)),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "offline"`),
		Visible(fmt.Sprintf(`.msg.is-target[data-seq="%d"]`, n-40)),
		WaitJS(shows(fmt.Sprint("m", n-40))),
	)
	A.Run(t, "a message not on this device says so offline",
		chromedp.Navigate(srv.URL+shared.MessagePath(conv, 3)),
		WaitText("#target-error", "isn't on this device"),
	)
	A.Offline(t, false)
	A.Run(t, "and opens once back online", Visible(`.msg.is-target[data-seq="3"]`), WaitJS(shows("m3")))

	// A permalink in a fresh browser: the message, highlighted, in context.
	const target = 2500
	P := MustBrowser(t, "ann-permalink")
	signIn(t, P, srv, ann)
	P.Run(t, "open a permalink",
		chromedp.Navigate(srv.URL+shared.MessagePath(conv, target)),
		WaitJS(shows(fmt.Sprint("m", target))),
		Visible(fmt.Sprintf(`.msg.is-target[data-seq="%d"]`, target)),
	)
	if rows := Eval[int](t, P, jsMsgRows); rows > 300 {
		t.Fatalf("%d message rows in the DOM after a jump", rows)
	}
	P.Shots(t, "permalink")
	P.Run(t, "the permalinked message is still in view", WaitJS(shows(fmt.Sprint("m", target))))
	// Less than a viewport per step, so every message passes through it.
	P.Run(t, "scroll up from it: older messages load",
		WaitJS(`(() => { const l = document.querySelector("#messages"); if (`+shows(fmt.Sprint("m", target-150))+`) return true; l.scrollTop -= l.clientHeight / 2; return false; })()`))
	P.Run(t, "scroll down from it: newer messages follow",
		WaitJS(`(() => { const l = document.querySelector("#messages"); if (`+shows(fmt.Sprint("m", target+300))+`) return true; l.scrollTop += l.clientHeight / 2; return false; })()`),
		WaitJS(`(() => { const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight; return `+shows(fmt.Sprint("m", n))+`; })()`))
}
