package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"natter/server/webtest"
	"natter/shared"
)

// signIn signs a browser in as a user made by webtest.MustSignUp.
func signIn(t *testing.T, b *Browser, srv *webtest.Server, u shared.User) {
	t.Helper()
	b.Run(t, "sign in as "+u.Nickname,
		chromedp.Navigate(srv.URL+shared.RouteSignIn),
		TypeInto("#signin-login", u.Nickname),
		TypeInto("#signin-password", "correct horse battery"),
		Click("#signin-submit"),
		Visible("#new-conversation"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
	)
}

// send types a message into the composer and presses Enter.
func send(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		TypeInto("#composer", text),
		chromedp.KeyEvent(kb.Enter),
	)
}

// TestTwoPeopleChat: two users in two independent browsers. A creates a
// conversation with B, which appears on B's dashboard live; they exchange
// messages live; B reads and A sees "Seen by B"; A closes the conversation and
// B's composer says it is closed.
func TestTwoPeopleChat(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)

	A.Run(t, "new conversation form",
		Click("#new-conversation"),
		Visible("#member-search"),
		TypeInto("#member-search", bob.Nickname),
		Click(fmt.Sprintf(`.user-result[data-id="%d"]`, bob.ID)),
		WaitText("#chosen-members", bob.Nickname),
	)
	A.Shots(t, "new-conversation")
	A.Run(t, "create",
		Click("#create-conversation"),
		WaitJS(`location.pathname.startsWith("/c/")`),
		Visible("#composer"),
	)
	B.Run(t, "the conversation appears on B's dashboard live",
		WaitJS(`document.querySelectorAll(".conv-item").length === 1`),
		WaitText("#conv-list", ann.Nickname),
	)

	A.Run(t, "A sends", send("Hello Bob, see https://example.com/x"),
		WaitJS(`[...document.querySelectorAll(".msg")].some(m => m.innerText.includes("Hello Bob") && m.dataset.state === "sent")`))
	B.Run(t, "B sees the preview live", WaitText("#conv-list", "Hello Bob"))
	B.Shots(t, "dashboard")
	B.Run(t, "B opens it and replies",
		Click(".conv-item"),
		WaitText("#messages", "Hello Bob"),
		send("Hi Ann <b>not bold</b>"),
	)
	A.Run(t, "A gets the reply live and sees B's receipt",
		WaitText("#messages", "Hi Ann <b>not bold</b>"),
		WaitText("#seen-by", bob.Nickname),
	)
	if n := Eval[int](t, A, `document.querySelectorAll("#messages b").length`); n != 0 {
		t.Fatalf("user text was rendered as HTML (%d <b> elements)", n)
	}
	if rel := Eval[string](t, B, `(document.querySelector('#messages a[href="https://example.com/x"]') || {}).rel || ""`); rel == "" {
		t.Fatalf("the link is not clickable with rel=noopener")
	}
	A.Run(t, "A asks who has seen her first message",
		Click(`.msg.own .seen-info`),
		WaitText("#seen-details", bob.Nickname),
	)
	A.Shots(t, "conversation")
	B.Shots(t, "conversation-bob")

	A.Run(t, "A closes the conversation",
		Click("#manage"),
		Click("#close-conversation"),
		Click("#confirm-action"),
		Visible("#closed-notice"),
	)
	B.Run(t, "B's composer says it is closed", Visible("#closed-notice"), chromedp.WaitNotPresent(chromedp.CSS("#composer")))
	B.Shots(t, "conversation-closed")
}
