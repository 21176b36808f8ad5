package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
	"natter/shared"
)

// TestReplyJumpReactionNamesCopyMentionKeys: the parts of issue 9 that
// TestEditDeleteReactReplyMention does not click through. A reply's quote
// of a message far back in history (not loaded) jumps to it, loading it,
// and highlights it; a reaction chip names who reacted on hover (its
// title) and on a long press, and one click adds or takes back one's own;
// the built-in picker offers more than the quick six;
// Copy text copies the raw text, markup included; the mention list is
// walked with the arrow keys.
func TestReplyJumpReactionNamesCopyMentionKeys(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, bobH := srv.MustSignUp(t, "bob")
	cara, _ := srv.MustSignUp(t, "cara")
	const n = 2000
	conv := seedConversation(t, srv, ann, bob, n, n) // bob's "m1" … "m2000", all read by ann
	team := mustConv(t, srv, ann, "Team", bob, cara)
	wb := srv.MustConnect(t, bobH, nil)
	const raw = "back to **the start**"
	reply := wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: raw, ReplyTo: 1}).Message
	wb.MustAck(t, shared.TypeReactionSet, shared.ReactionSet{MessageRef: shared.MessageRef{ConversationID: conv, Seq: reply.Seq}, Emoji: "👍", On: true})

	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	open := chromedp.Navigate(srv.URL + shared.ConversationPath(conv))
	// The list has placed itself at the newest message (as the page's
	// skeleton waits for) before the quote is clicked.
	placed := `(() => { const l = document.querySelector("#messages"); return !!l && l.scrollHeight - l.scrollTop - l.clientHeight < 4; })()`
	A.Run(t, "open the conversation at its newest message", open,
		WaitJS(msgHas("back to the start", ".reply-quote")), WaitText(".reply-quote", "m1"), WaitJS(placed))
	if Eval[bool](t, A, `document.getElementById("msg-1") !== null`) {
		t.Fatalf("the first of %d messages is loaded at the bottom: the jump would not need to load it", n)
	}
	A.Run(t, "the quote jumps to the message, loading it, highlighted",
		inMsg("back to the start", ".reply-quote"),
		Visible(`.msg.is-target[data-seq="1"]`), WaitJS(shows("m1")))

	A.Run(t, "back at the newest", open, WaitJS(msgHas("back to the start", ".reaction")), WaitJS(placed))
	chip := func(prop string) string {
		return Eval[string](t, A, fmt.Sprintf(`(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("back to the start"));
			return m.querySelector(".reaction").%s; })()`, prop))
	}
	if title := chip("title"); title != "👍 "+bob.Nickname {
		t.Fatalf("the chip's title (hover) = %q, want bob's name", title)
	}
	A.Run(t, "one click adds ann's own", inMsg("back to the start", ".reaction"),
		WaitJS(msgHas("back to the start", ".reaction.mine")))
	A.Run(t, "the count follows", WaitJS(`(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("back to the start"));
			return m.querySelector(".reaction .reaction-count").innerText === "2"; })()`))
	if title := chip("title"); !strings.Contains(title, bob.Nickname) || !strings.Contains(title, "you") {
		t.Fatalf("the chip's title = %q, want bob and you", title)
	}
	A.Run(t, "a long press lists who reacted",
		WaitJS(`(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("back to the start"));
			const c = m && m.querySelector(".reaction"); if (!c) return false;
			c.dispatchEvent(new MouseEvent("contextmenu", {bubbles: true, cancelable: true})); return true; })()`),
		WaitText(".reaction-who", bob.Nickname), WaitText(".reaction-who", "you"))
	A.Run(t, "a second click takes it back", inMsg("back to the start", ".reaction.mine"),
		WaitJS(`!(`+msgHas("back to the start", ".reaction.mine")+`)`), WaitJS(msgHas("back to the start", ".reaction")))

	A.Run(t, "the picker", inMsg("back to the start", ".msg-menu-btn"), inMsg("back to the start", ".emoji-more"),
		Visible(".emoji-row.is-picker"))
	shots(t, A, "reaction-picker")
	A.Run(t, "an emoji beyond the quick six",
		inMsg("back to the start", `.emoji-btn[aria-label="React 🚀"]`),
		WaitJS(`(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("back to the start"));
			return !!m && [...m.querySelectorAll(".reaction.mine .reaction-emoji")].some(e => e.innerText === "🚀"); })()`))

	A.Run(t, "Copy text copies the raw text",
		chromedp.Evaluate[chromedp.Void](`Object.defineProperty(navigator.clipboard, "writeText", {configurable: true, value: (t) => { window.__copied = t; return Promise.resolve(); }})`),
		inMsg("back to the start", ".msg-menu-btn"), inMsg("back to the start", ".menu-copy"),
		WaitJS(fmt.Sprintf(`window.__copied === %q`, raw)),
		// The copy closes the menu a frame after the clipboard has the
		// text; opening it again before that would find the closing one.
		WaitJS(`!document.querySelector("#messages .msg-menu")`))
	// An edit arriving while the menu is open: Copy text copies the new text.
	A.Run(t, "the menu open again", openMenu("back to the start"), Visible(".msg-menu .menu-copy"))
	const edited = "back to **the very start**"
	srv.MustConnect(t, bobH, nil).MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: shared.MessageRef{ConversationID: conv, Seq: reply.Seq}, Body: edited})
	A.Run(t, "the edit arrives under the open menu", WaitJS(msgHas("back to the very start", ".msg-menu .menu-copy")),
		inMsg("back to the very start", ".menu-copy"), WaitJS(fmt.Sprintf(`window.__copied === %q`, edited)))

	A.Run(t, "the mention list follows the arrow keys",
		chromedp.Navigate(srv.URL+shared.ConversationPath(team.ID)), Visible("#composer"),
		chromedp.SendKeys(chromedp.CSS("#composer"), "@"),
		WaitJS(`document.querySelectorAll("#mention-list .mention-opt").length === 2`),
		WaitJS(`document.querySelector("#mention-opt-0").classList.contains("is-active")`),
		chromedp.KeyEvent(kb.ArrowDown),
		WaitJS(`document.querySelector("#mention-opt-1").classList.contains("is-active") &&
			document.querySelector("#composer").getAttribute("aria-activedescendant") === "mention-opt-1"`))
	pick := strings.TrimSpace(Eval[string](t, A, `document.querySelector("#mention-opt-1 > span:last-child").innerText`))
	if pick != "@"+bob.Nickname && pick != "@"+cara.Nickname {
		t.Fatalf("the second suggestion is %q", pick)
	}
	A.Run(t, "Enter picks the highlighted one", chromedp.KeyEvent(kb.Enter),
		WaitJS(fmt.Sprintf(`document.querySelector("#composer").value === %q`, pick+" ")))
}
