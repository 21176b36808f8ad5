package e2e

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
	"natter/shared"
)

// Opening a conversation with unread messages lands at the first unread
// one under a "New" divider; only what is shown counts as seen; "Jump to
// latest" counts the rest; Esc marks the conversation read.
func TestUnreadDividerAndEsc(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	n, seen := int64(300), int64(250) // fewer than 99 unread: the badge counts them exactly
	conv := seedConversation(t, srv, ann, bob, int(n), seen)
	// ann's other device hears where her read cursor is: in the replay of
	// a fresh connection (the conversation and its members), then as it
	// moves. A fresh one each time: an idle test socket answers no pings.
	seenMoved := func(what string, ok func(seq int64) bool) int64 {
		other := srv.MustConnect(t, ha, nil)
		defer other.Conn.CloseNow()
		var got int64
		match := func(e shared.Envelope) bool {
			switch e.Type {
			case shared.TypeSeenMoved:
				var sm shared.SeenMoved
				if json.Unmarshal(e.Data, &sm) == nil && sm.ConversationID == conv && sm.UserID == ann.ID {
					got = sm.Seq
				}
			case shared.TypeConversationUpdated:
				var c shared.Conversation
				if json.Unmarshal(e.Data, &c) == nil && c.ID == conv {
					if m := c.Member(ann.ID); m != nil {
						got = m.SeenSeq
					}
				}
			}
			return ok(got)
		}
		for _, e := range other.Replay {
			if match(e) {
				return got
			}
		}
		other.MustAwait(t, what, match)
		return got
	}
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "the sidebar counts the unread", WaitText(".badge-unread", fmt.Sprint(n-seen)))
	A.Run(t, "open it at the first unread message",
		chromedp.Navigate(srv.URL+shared.ConversationPath(conv)),
		WaitJS(shows(fmt.Sprint("m", seen+1))),
		WaitJS(`(() => { const d = document.querySelector("#new-divider"), l = document.querySelector("#messages");
			if (!d) return false; const r = d.getBoundingClientRect(), box = l.getBoundingClientRect();
			return r.top >= box.top && r.top < box.top + 80; })()`),
		WaitJS(countRight(int(n))),
	)
	if Eval[bool](t, A, shows(fmt.Sprint("m", n))) || Eval[bool](t, A, shows(fmt.Sprint("m", seen))) && !Eval[bool](t, A, shows(fmt.Sprint("m", seen+1))) {
		t.Fatal("the view is not at the first unread message")
	}
	// What is on screen becomes seen, and nothing below it.
	A.Run(t, "the shown messages are marked seen", WaitJS(fmt.Sprintf(`(() => { const b = document.querySelector(".badge-unread"); return !!b && +b.innerText < %d; })()`, n-seen)))
	shownSeq := Eval[int](t, A, `Math.max(...[...document.querySelectorAll("#messages .msg[data-seq]")].filter(m => m.getBoundingClientRect().bottom <= document.querySelector("#messages").getBoundingClientRect().bottom).map(m => +m.dataset.seq))`)
	seenMoved("the shown messages seen", func(seq int64) bool { return seq > seen })
	if got := seenOnServer(t, srv, ann.ID, conv); got >= n || got > int64(shownSeq)+1 {
		t.Fatalf("seen up to %d on the server with message %d the lowest on screen of %d", got, shownSeq, n)
	}
	A.Axe(t, "unread-divider")
	A.Shots(t, "unread-divider")
	A.ColorScheme(t, "dark")
	A.Shots(t, "unread-divider-dark")
	A.ColorScheme(t, "light")

	wb := srv.MustConnect(t, hb, nil)
	wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: "news for screen readers"})
	A.Run(t, "a screen reader hears what arrived", WaitText("#msgs-news", bob.Nickname+": news for screen readers"))
	n++ // the live one is unread too

	A.Run(t, "Esc marks the conversation read",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(chromedp.CSS(".badge-unread")),
	)
	seenMoved("everything seen", func(seq int64) bool { return seq == n })
	if !Eval[bool](t, A, `!!document.querySelector("#new-divider")`) {
		t.Fatal("the divider went when the conversation was marked read; it stays until the conversation is left")
	}
}
