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
// field, the right one signs the device out and the account is gone.
func TestMyData(t *testing.T) {
	srv := webtest.MustServer(t)
	b := MustBrowser(t, "leaver")
	b.Run(t, "sign up",
		chromedp.Navigate(srv.URL+shared.RouteSignUp), Visible("#signup-email"),
		TypeInto("#signup-email", "leaver@example.com"),
		TypeInto("#signup-nickname", "Leaver"),
		TypeInto("#signup-password", "a long enough password"),
		Click("#signup-submit"),
		Visible("#new-conversation"),
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
		TypeInto("#delete-password", "a long enough password"),
		Click("#delete-account"),
		Visible("#signin-login"),
		WaitText("#signed-out-notice", "Your account was deleted."),
	)
	b.Shots(t, "signin-account-deleted")
	res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: "leaver@example.com", Password: "a long enough password"}, nil)
	if res.StatusCode == http.StatusOK {
		t.Fatal("the deleted account can still sign in")
	}
}
