package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestSignupModes: on an invite-only server the sign-up page asks for the
// code (prefilled from an invite link) and a bad code is shown next to its
// field; on a closed server the page says so instead of showing a form.
func TestSignupModes(t *testing.T) {
	t.Run("invite", func(t *testing.T) {
		srv := webtest.MustServer(t, func(c *web.Config) { c.Signup = shared.SignupInvite })
		_, code, err := srv.Store.CreateInvite(context.Background(), 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := MustBrowser(t, "invitee")
		b.Run(t, "open sign-up", chromedp.Navigate(srv.URL+shared.RouteSignUp), Visible("#signup-invite"))
		b.Run(t, "a wrong code is reported next to its field",
			TypeInto("#signup-email", "invitee@example.com"),
			TypeInto("#signup-nickname", "invitee"),
			TypeInto("#signup-password", "a long enough password"),
			TypeInto("#signup-invite", "WRONG-CODE"),
			Click("#signup-submit"),
			WaitText("#signup-invite-error", "not valid"),
		)
		b.Shots(t, "signup-invite-error")
		b.Run(t, "an invite link fills the code in and signs up",
			chromedp.Navigate(srv.URL+shared.RouteSignUp+"?invite="+code),
			Visible("#signup-invite"),
			WaitJS(`(document.querySelector("#signup-invite")||{}).value === "`+code+`"`),
			TypeInto("#signup-email", "invitee@example.com"),
			TypeInto("#signup-nickname", "invitee"),
			TypeInto("#signup-password", "a long enough password"),
			Click("#signup-submit"),
			Visible("#new-conversation"),
		)
	})
	t.Run("closed", func(t *testing.T) {
		srv := webtest.MustServer(t, func(c *web.Config) { c.Signup = shared.SignupClosed })
		b := MustBrowser(t, "turned-away")
		b.Run(t, "open sign-up", chromedp.Navigate(srv.URL+shared.RouteSignUp), Visible("#signup-closed"))
		b.Shots(t, "signup-closed")
	})
}
