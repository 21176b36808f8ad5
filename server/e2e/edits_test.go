package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
	"natter/shared"
)

// inMsg is a JavaScript expression that finds the message containing text
// and clicks the element sel inside it; false until both exist.
func inMsg(text, sel string) chromedp.Action[chromedp.Void] {
	return WaitJS(fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes(%q));
		const e = m && m.querySelector(%q);
		if (!e) return false;
		e.click();
		return true;
	})()`, text, sel))
}

// openMenu opens the menu of the message containing text: it clicks the
// message's ⋯ until its menu shows, at most once a second, so a click that
// did not take (the row redrawn under it on a loaded machine) is repeated
// without a quick second click closing the menu again.
func openMenu(text string) chromedp.Action[chromedp.Void] {
	return WaitJS(fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes(%q));
		if (!m) return false;
		if (m.querySelector(".msg-menu")) return true;
		const now = Date.now();
		if (!window.__menuClick || now - window.__menuClick > 1000) {
			window.__menuClick = now;
			m.querySelector(".msg-menu-btn").click();
		}
		return false;
	})()`, text))
}

// msgHas is true when the message containing text has an element sel.
func msgHas(text, sel string) string {
	return fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes(%q));
		return !!(m && m.querySelector(%q));
	})()`, text, sel)
}

// shots saves the conversation at phone (360 px) and desktop sizes, light
// and dark.
func shots(t *testing.T, b *Browser, name string) {
	t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		b.ColorScheme(t, scheme)
		for _, size := range []struct {
			label string
			w, h  int64
		}{{"phone", 360, 780}, {"desktop", 1280, 800}} {
			b.Run(t, "resize", chromedp.EmulateViewport(size.w, size.h))
			b.Run(t, "settle", chromedp.Sleep(300*time.Millisecond)) // layout only: nothing to await
			b.Screenshot(t, name+"-"+size.label+"-"+scheme)
		}
	}
	b.ColorScheme(t, "light")
	b.Run(t, "resize back", chromedp.EmulateViewport(1280, 800))
}

// TestEditDeleteReactReplyMention: Ann and Bob in two browsers. Ann's
// typo is fixed with Up-arrow and Bob sees "edited" live with the earlier
// version on request; Bob reacts and replies, mentioning Ann, picked from
// the autocomplete; Ann deletes her message and it goes for both, the
// reply's quote with it. A mention reaches Bob in a conversation he muted,
// which the list marks with @.
func TestEditDeleteReactReplyMention(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, annHeader := srv.MustSignUp(t, "ann")
	bob, bobHeader := srv.MustSignUp(t, "bob")
	plans := mustConv(t, srv, ann, "Plans", bob)
	cid, cidHeader := srv.MustSignUp(t, "cid")
	quiet := mustConv(t, srv, ann, "Quiet", bob, cid)
	// Bob blocked Cid: Cid's mention must not break through the mute.
	if _, err := srv.Store.BlockUser(context.Background(), bob.ID, cid.ID); err != nil {
		t.Fatal(err)
	}
	// Bob mutes Quiet "until turned back on" from another device, with the
	// action the header's mute menu sends (Engine.Mute).
	srv.MustConnect(t, bobHeader, nil).MustAck(t, shared.TypeConversationMute,
		shared.ConversationMute{ConversationID: quiet.ID, Forever: true})
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	recordNotifications(t, B)
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	B.Run(t, "the notifications button", Visible("#enable-notifications"), WaitJS(`Notification.permission === "default"`))
	grantNotifications(t, B, srv.URL)
	B.Run(t, "enable notifications", Click("#enable-notifications"), WaitJS(`Notification.permission === "granted"`),
		chromedp.WaitNotPresent(chromedp.CSS("#enable-notifications")))
	open := chromedp.Navigate(srv.URL + shared.ConversationPath(plans.ID))
	A.Run(t, "A opens Plans", open, Visible("#composer"))
	B.Run(t, "B opens Plans", open, Visible("#composer"), WaitJS(`navigator.serviceWorker.controller !== null`))

	A.Run(t, "A sends with formatting", send("helo **Bob**, the `plan` is at www.example.com"),
		WaitJS(countJS("helo", "sent")+" === 1"))
	B.Run(t, "B sees it formatted", WaitJS(countJS("helo", "")+" === 1"),
		WaitJS(msgHas("helo", "strong")), WaitJS(msgHas("helo", "code.md-code")),
		WaitJS(msgHas("helo", `a[href="https://www.example.com"]`)))

	A.Run(t, "Up-arrow edits the last message",
		chromedp.Focus(chromedp.CSS("#composer")), chromedp.KeyEvent(kb.ArrowUp),
		WaitJS(`document.querySelector("#composer").value.startsWith("helo")`), Visible("#composer-mode"))
	A.Run(t, "save the edit", TypeInto("#composer", "hello **Bob**, the `plan` is at www.example.com"), chromedp.KeyEvent(kb.Enter),
		WaitJS(`document.querySelector("#composer").value === ""`))
	B.Run(t, "B sees the edit live, marked", WaitJS(countJS("hello **", "")+" === 0"),
		WaitJS(countJS("hello Bob", "")+" === 1"), WaitJS(msgHas("hello Bob", ".msg-edited")))
	B.Run(t, "and its earlier version on request", inMsg("hello Bob", ".msg-edited"),
		WaitText(".edit-history", "helo **Bob**"))

	B.Run(t, "B reacts from the menu", inMsg("hello Bob", ".msg-menu-btn"), inMsg("hello Bob", `.emoji-btn[aria-label="React 🎉"]`))
	A.Run(t, "A sees the reaction", WaitJS(msgHas("hello Bob", ".reaction")), WaitText(".reaction", "1"))
	B.Run(t, "B replies, mentioning Ann from the list",
		inMsg("hello Bob", ".msg-menu-btn"), inMsg("hello Bob", ".menu-reply"), Visible("#composer-mode"),
		chromedp.SendKeys(chromedp.CSS("#composer"), "sure @"+ann.Nickname[:2]),
		Visible("#mention-list .mention-opt"), chromedp.KeyEvent(kb.Enter),
		WaitJS(fmt.Sprintf(`document.querySelector("#composer").value === "sure @%s "`, ann.Nickname)),
		chromedp.SendKeys(chromedp.CSS("#composer"), "see you"), chromedp.KeyEvent(kb.Enter))
	A.Run(t, "A gets the reply with its quote, her name highlighted",
		WaitJS(msgHas("see you", ".reply-quote")), WaitText(".reply-quote", "hello Bob"),
		WaitJS(msgHas("see you", ".mention-me")))
	annWS := srv.MustConnect(t, annHeader, nil)
	annWS.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: plans.ID,
		Body: "> sure @" + bob.Nickname + " see you\nThe *plan*:\n```\ngo test ./...\n```\nmail mailto:ann@example.com"})
	A.Run(t, "the menu of Bob's reply", WaitJS(countJS("go test", "")+" === 1"), openMenu("see you"), Visible(".msg-menu"))
	shots(t, A, "message-actions")
	A.Axe(t, "message-actions")
	A.Run(t, "close the menu", inMsg("see you", ".msg-menu-btn"), chromedp.WaitNotPresent(chromedp.CSS(".msg-menu")))

	A.Run(t, "A deletes her message",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		inMsg("hello Bob", ".msg-menu-btn"), inMsg("hello Bob", ".menu-delete"),
		WaitText("#msg-1", "Message deleted"), WaitText(".reply-quote", "deleted message"))
	B.Run(t, "B sees it deleted, and the quote too",
		WaitJS(countJS("Message deleted", "")+" === 1"), WaitJS(countJS("hello Bob", "")+" === 0"),
		WaitText(".reply-quote", "deleted message"))
	// The same conversation after the deletion: the placeholder and the
	// reply quoting "deleted message", beside the edit, reaction, mention
	// and formatting above.
	shots(t, A, "message-deleted")
	A.Axe(t, "message-deleted")
	var body string
	if err := srv.Store.DB.NewRaw(`SELECT body FROM messages WHERE conversation_id = ? AND seq = 1`, plans.ID).Scan(context.Background(), &body); err != nil || body != "" {
		t.Fatalf("the deleted body in the database: %q, %v", body, err)
	}

	// A mention notifies in a muted conversation; a plain message does not.
	// A fresh connection: the first one, idle while the browsers were
	// checked, may have been dropped by the server's heartbeat.
	annWS = srv.MustConnect(t, annHeader, nil)
	annWS.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: quiet.ID, Body: "shh"})
	srv.MustConnect(t, cidHeader, nil).MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: quiet.ID, Body: "@" + bob.Nickname + " from the blocked"})
	annWS.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: quiet.ID, Body: "@" + bob.Nickname + " look"})
	B.Run(t, "the mention notifies Bob in the muted conversation", WaitJS(notesFor(quiet.ID)+" >= 1"),
		Visible(fmt.Sprintf(`.conv-item[data-id=%q] .badge-mention`, quiet.ID)))
	// Notifications are shown one at a time in arrival order, so Cid's,
	// had it been shown, would be here before Ann's.
	if notes := Eval[[]note](t, B, notesJS); len(notes) != 1 || !contains(notes[0].Body, "look") {
		t.Fatalf("notifications: %+v", notes)
	}
	B.Run(t, "the @ goes once read", Click(fmt.Sprintf(`.conv-item[data-id=%q]`, quiet.ID)),
		WaitJS(countJS("look", "")+" === 1"),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`.conv-item[data-id=%q] .badge-mention`, quiet.ID))))
}

// TestOfflineEditAndReactReplayOnce: Bob, offline, edits his message and
// reacts to Ann's, reloads while still offline (both are still shown),
// and comes back: Ann sees each change once.
func TestOfflineEditAndReactReplayOnce(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Trip", bob)
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	open := chromedp.Navigate(srv.URL + shared.ConversationPath(chat.ID))
	A.Run(t, "A opens", open, Visible("#composer"), send("train at nine"), WaitJS(countJS("train at nine", "sent")+" === 1"))
	B.Run(t, "B opens and answers", open, Visible("#composer"), WaitJS(`navigator.serviceWorker.controller !== null`),
		WaitJS(countJS("train at nine", "")+" === 1"), send("see yuo there"), WaitJS(countJS("see yuo", "sent")+" === 1"))
	A.Run(t, "A has it", WaitJS(countJS("see yuo", "")+" === 1"))

	// The send's ack is settled on B's device before it goes offline: the
	// conversation's write and the outbox entry's removal wait for the
	// next flush, and a reload before it shows the message queued again
	// until the next connection (a known window, docs/BENCHMARKS.md). What
	// this test is about comes after.
	waitOutboxEmpty(t, B)
	B.Offline(t, true)
	B.Run(t, "B is offline", WaitJS(connState+` === "offline"`))
	B.Run(t, "B edits from the menu", inMsg("see yuo", ".msg-menu-btn"), inMsg("see yuo", ".menu-edit"),
		WaitJS(`document.querySelector("#composer").value === "see yuo there"`),
		TypeInto("#composer", "see you there"), chromedp.KeyEvent(kb.Enter),
		WaitJS(countJS("see you there", "")+" === 1"))
	B.Run(t, "B reacts", inMsg("train at nine", ".msg-menu-btn"), inMsg("train at nine", `.emoji-btn[aria-label="React 👍"]`),
		WaitJS(msgHas("train at nine", ".reaction.mine")))
	B.Run(t, "reload offline keeps both", open, Visible("#composer"),
		WaitJS(countJS("see you there", "")+" === 1"), WaitJS(msgHas("train at nine", ".reaction.mine")))
	B.Offline(t, false)
	B.Run(t, "B is back", WaitJS(connState+` === "connected"`))
	A.Run(t, "A sees the edit and the reaction", WaitJS(countJS("see you there", "")+" === 1"),
		WaitJS(msgHas("train at nine", ".reaction")))
	B.Run(t, "B's outbox empties", WaitJS(`document.querySelectorAll('#messages .msg[data-state="queued"]').length === 0`))
	var events int64
	if err := srv.Store.DB.NewRaw(`SELECT last_event_seq FROM conversations WHERE id = ?`, chat.ID).Scan(context.Background(), &events); err != nil || events != 2 {
		t.Fatalf("events applied: %d (want 2: one edit, one reaction), %v", events, err)
	}
	e, err := srv.Store.MessageEdits(context.Background(), ann.ID, chat.ID, 2)
	if err != nil || len(e.Versions) != 1 {
		t.Fatalf("edit history %+v, %v", e, err)
	}
	if n := Eval[int](t, A, `document.querySelectorAll("#messages .reaction").length`); n != 1 {
		t.Fatalf("A sees %d reaction chips", n)
	}
}

// waitOutboxEmpty waits until b's IndexedDB outbox holds nothing: every
// action b queued is acknowledged and its ack written down.
func waitOutboxEmpty(t *testing.T, b *Browser) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for idbRecords(t, b)["natter/outbox"] != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the outbox still holds %d actions after 20 s", b.name, idbRecords(t, b)["natter/outbox"])
		}
		time.Sleep(100 * time.Millisecond) // polling IndexedDB, as WaitJS polls the page
	}
}
