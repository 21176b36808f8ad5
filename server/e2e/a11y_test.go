package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// TestAccessibility runs axe-core on every main screen in light and dark,
// as a person with either system setting sees them, and fails on serious or
// critical violations: missing alternative text, text too faint to read,
// broken list structure.
func TestAccessibility(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")

	A.Run(t, "the sign-in page", chromedp.Navigate(srv.URL+shared.RouteSignIn), Visible("#signin-login"))
	A.Axe(t, "signin")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	A.Axe(t, "dashboard-empty")

	A.Run(t, "the new conversation form", Click("#new-conversation"), Visible("#member-search"))
	A.Axe(t, "new-conversation")
	A.Run(t, "back home", Click(".brand"), chromedp.WaitNotPresent(chromedp.CSS("#member-search")))
	startChat(t, A, B, bob)
	B.Run(t, "B writes", send("Hello Ann, see https://example.com"))
	A.Run(t, "A reads and replies",
		WaitText("#messages", "Hello Ann"),
		send("Hi Bob"),
		WaitText("#seen-by", bob.Nickname),
		Click(".msg.own .seen-info"),
		WaitText("#seen-details", bob.Nickname),
	)
	A.Axe(t, "conversation")
	A.Run(t, "the manage panel", Click("#manage"), Visible("#manage-panel"))
	A.Axe(t, "manage")
	A.Run(t, "the dashboard", Click(".brand"), Visible(".conv-item"))
	A.Axe(t, "dashboard")
	A.Run(t, "the profile", Click("#profile-link"), Visible("#profile-nickname"))
	A.Axe(t, "profile")
	for _, scheme := range []string{"light", "dark"} {
		A.ColorScheme(t, scheme)
		A.Shots(t, "profile-"+scheme)
	}
}
