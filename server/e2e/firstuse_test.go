package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
	"natter/shared"
)

// startChat has A create a conversation with B through the form and both
// open it.
func startChat(t *testing.T, A, B *Browser, b shared.User) {
	t.Helper()
	A.Run(t, "A starts a conversation with "+b.Nickname,
		Click("#new-conversation"),
		Click("#member-search"),
		chromedp.SendKeys(chromedp.CSS("#member-search"), b.Nickname),
		Click(fmt.Sprintf(`.user-result[data-id="%d"]`, b.ID)),
		Click("#create-conversation"),
		WaitJS(`location.pathname.startsWith("/c/")`),
		Visible("#composer"),
	)
	B.Run(t, "B opens it", Click(".conv-item"), Visible("#composer"))
}

// setComposer puts text into the composer as a paste would (key events
// cannot type emoji outside the Basic Multilingual Plane).
func setComposer(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		Click("#composer"),
		WaitJS(fmt.Sprintf(`(() => { const e = document.querySelector("#composer"); e.value = %q;
			e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, text)),
	)
}

// TestFirstUseConversation walks through what a first-time user met in a
// conversation: Enter on an over-limit message, the typing indicator going
// away, "seen" times, presence on a phone, and emoji.
func TestFirstUseConversation(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	startChat(t, A, B, bob)

	// Enter refuses an over-limit message and must leave the text alone.
	long := strings.Repeat("x", shared.DefaultBodyMax+5)
	A.Run(t, "Enter on an over-limit message changes nothing",
		setComposer(long),
		chromedp.KeyEvent(kb.Enter),
		WaitJS(`document.querySelector("#composer-error").innerText.trim() !== ""`),
		chromedp.KeyEvent(kb.Enter),
	)
	if got := Eval[string](t, A, `document.querySelector("#composer").value`); got != long {
		t.Fatalf("Enter changed a refused message: %d characters, want %d (newline added: %v)",
			len(got), len(long), strings.Contains(got, "\n"))
	}
	A.Shots(t, "composer-over-limit")
	A.Run(t, "clear the box", TypeInto("#composer", ""))

	// Typing: shown while B types, gone soon after B stops.
	B.Run(t, "B types", Click("#composer"), chromedp.SendKeys(chromedp.CSS("#composer"), "Hello th"))
	A.Run(t, "A sees B typing", WaitText("#typing", bob.Nickname+" is typing"))
	stopped := time.Now()
	A.Run(t, "the indicator goes after B stops", WaitJS(`document.querySelector("#typing").innerText.trim() === ""`))
	if d := time.Since(stopped); d > 2500*time.Millisecond {
		t.Fatalf("the typing indicator stayed %v after the last keystroke; want about 1.5 s", d)
	}
	B.Run(t, "B types on and sends", chromedp.SendKeys(chromedp.CSS("#composer"), "ere"))
	A.Run(t, "A sees B typing again", WaitText("#typing", bob.Nickname+" is typing"))
	B.Run(t, "B sends", chromedp.KeyEvent(kb.Enter))
	A.Run(t, "the message arrives and the indicator goes with it",
		WaitJS(`document.querySelector("#messages").innerText.includes("Hello there")`))
	if typing := Eval[string](t, A, `document.querySelector("#typing").innerText.trim()`); typing != "" {
		t.Fatalf("the typing indicator is still %q when the message is on screen", typing)
	}

	// Seen by: relative time, exact time beside it and on hover.
	A.Run(t, "A replies with emoji and B reads it", setComposer("Hi Bob 👋🎉"), chromedp.KeyEvent(kb.Enter))
	B.Run(t, "B sees it", WaitText("#messages", "Hi Bob"))
	A.Run(t, "A opens who has seen it",
		WaitText("#seen-by", bob.Nickname),
		Click(".msg.own .seen-info"),
		WaitText("#seen-details", bob.Nickname),
		WaitText("#seen-details .seen-ago", "just now"),
	)
	if title := Eval[string](t, A, `document.querySelector("#seen-details .seen-when").title`); !strings.Contains(title, " at ") {
		t.Fatalf("the seen time has no exact time on hover: title %q", title)
	}

	// Presence: words on a phone, not only a dot or faces.
	A.Run(t, "A on a phone sees that B is here",
		chromedp.EmulateViewport(390, 844),
		WaitText("#presence-text", bob.Nickname+" is here"),
		Visible("#presence-text"),
	)
	A.Shots(t, "presence-phone")
	A.Run(t, "the phone dashboard says the connection in words",
		chromedp.EmulateViewport(390, 844),
		Click(".conv-head .back"),
		Visible("#conv-list"),
		WaitText("#conn-status", "Connected"),
		Visible("#conn-status .conn-label"),
		WaitJS(`document.querySelector("#conn-status .conn-label").getBoundingClientRect().width > 20`),
	)
	A.Run(t, "back to desktop and the conversation", chromedp.EmulateViewport(1280, 800), Click(".conv-item"), Visible("#composer"),
		Visible(".msg-body")) // the list draws its rows a frame after the composer

	// Emoji: the font stack names emoji fonts before the generic family,
	// and on this machine, which has no emoji font installed, the bundled
	// one loads for the emoji on screen (instead of boxes), also for B, whose
	// message was laid out before the font came.
	fonts := Eval[string](t, A, `getComputedStyle(document.querySelector(".msg-body")).fontFamily`)
	emoji, generic := strings.Index(fonts, "Natter Emoji"), strings.LastIndex(fonts, "sans-serif")
	if emoji < 0 || !strings.Contains(fonts, "Noto Color Emoji") || generic < emoji {
		t.Fatalf("message text has no emoji fonts before the generic family: %s", fonts)
	}
	for _, x := range []*Browser{A, B} {
		x.Run(t, "the emoji font loads for the emoji on screen",
			WaitJS(`[...document.fonts].some(f => f.family.includes("Natter Emoji") && f.status === "loaded")`))
	}
	for _, scheme := range []string{"light", "dark"} {
		A.ColorScheme(t, scheme)
		B.ColorScheme(t, scheme)
		A.Shots(t, "firstuse-conversation-"+scheme)
		B.Shots(t, "firstuse-conversation-bob-"+scheme)
	}
}

// TestSidebarShowsQueuedMessages: messages written offline are the newest
// thing in the conversation, so the list shows the last one with its queued
// state instead of "No messages yet".
func TestSidebarShowsQueuedMessages(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	startChat(t, A, B, bob)

	A.Offline(t, true)
	A.Run(t, "A writes three messages offline",
		WaitJS(`document.querySelector("#conn-status").dataset.state !== "connected"`),
		send("one"), send("two"), send("three offline"),
		WaitJS(`document.querySelectorAll('#messages .msg[data-state="queued"]').length === 3`),
	)
	A.Run(t, "the list shows the newest, queued",
		WaitText("#conv-list", "three offline"),
		Visible(`.conv-item .conv-preview[data-state="queued"]`),
	)
	if strings.Contains(Eval[string](t, A, `document.querySelector("#conv-list").innerText`), "No messages yet") {
		t.Fatalf("the list says no messages while three are queued")
	}
	A.Shots(t, "sidebar-queued")
	A.Offline(t, false)
	A.Run(t, "once sent, the list shows the sent message",
		WaitJS(`document.querySelectorAll('#messages .msg[data-state="sent"]').length === 3`),
		chromedp.WaitNotPresent(chromedp.CSS(`.conv-preview[data-state]`)),
		WaitText("#conv-list", "You: three offline"),
	)
}

// TestRenameShowsLive: when B renames themself, A sees the new nickname at
// once in the list, the header and the message list.
func TestRenameShowsLive(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	startChat(t, A, B, bob)
	B.Run(t, "B writes", send("hello from bob"))
	A.Run(t, "A sees it", WaitText("#messages", "hello from bob"), WaitText(".msg.other .msg-sender", "bob"))

	B.Run(t, "B renames themself",
		Click("#profile-link"),
		TypeInto("#profile-nickname", "robert"),
		Click("#profile-submit"),
		WaitText("#profile-status", "Saved"),
	)
	A.Run(t, "A sees the new name live everywhere",
		WaitText("#conv-list", "robert"),
		WaitText("#conv-header-title", "robert"),
		WaitText(".msg.other .msg-sender", "robert"),
	)
	A.Shots(t, "renamed-live")
}
