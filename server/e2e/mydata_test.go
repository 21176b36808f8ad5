package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// TestMyData downloads a person's data and deletes their account from the
// profile in a real Chromium: a wrong password is reported next to its
// field; the right one wipes the device (what it cached of a friend's
// message included), shows sign-in with the reason, and the account is
// gone.
func TestMyData(t *testing.T) {
	srv := webtest.MustServer(t)
	leaver, _ := srv.MustSignUp(t, "Leaver")
	friend, hf := srv.MustSignUp(t, "Friend")
	wf := srv.MustConnect(t, hf, nil)
	ack := wf.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "Plans", MemberIDs: []int64{leaver.ID}})
	wf.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: ack.Conversation.ID, Body: "secret-for-leaver"})

	b := MustBrowser(t, "leaver")
	b.Run(t, "sign in and receive the friend's message",
		chromedp.Navigate(srv.URL+shared.RouteSignIn), Visible("#signin-login"),
		TypeInto("#signin-login", leaver.Email),
		TypeInto("#signin-password", "correct horse battery"),
		Click("#signin-submit"),
		Visible("#new-conversation"),
		WaitJS(`document.body.innerText.includes("secret-for-leaver")`),
	)
	b.Run(t, "profile",
		chromedp.Navigate(srv.URL+shared.RouteProfile),
		Visible("#export-data"),
		chromedp.ScrollIntoView("#delete-account-card"),
	)
	b.Shots(t, "profile-mydata")
	b.Run(t, "download my data",
		Click("#export-data"),
		WaitText("#export-status", "Downloaded"),
	)
	b.Run(t, "wrong password",
		TypeInto("#delete-password", "not my password"),
		Click("#delete-account"),
		WaitJS(`(document.querySelector("#delete-password-error")||{innerText:""}).innerText.includes("wrong")`),
		chromedp.ScrollIntoView("#delete-account-card"),
	)
	b.Shots(t, "profile-delete-error")
	b.Run(t, "delete my account",
		TypeInto("#delete-password", "correct horse battery"),
		Click("#delete-account"),
	)
	// The wipe reloads the page onto sign-in.
	b.waitAcrossNavigation(t, "sign-in says the account was deleted",
		`location.pathname === "/signin" && !!document.querySelector("#signin-login") && `+
			`(document.querySelector("#signed-out-notice")||{innerText:""}).innerText.includes("Your account was deleted.")`)
	b.Shots(t, "signin-account-deleted")
	mustDeviceWiped(t, b, "secret-for-leaver", "Plans", friend.Nickname)

	res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: leaver.Email, Password: "correct horse battery"}, nil)
	if res.StatusCode == http.StatusOK {
		t.Fatal("the deleted account can still sign in")
	}
}
