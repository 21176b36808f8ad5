package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// TestAccounts walks a newcomer through the account pages in a real
// Chromium: sign up (with a validation error first), edit the profile, reload
// and stay signed in, sign out, sign in again; then, after that online visit,
// the server goes away and a deep link still opens the app shell, offline.
func TestAccounts(t *testing.T) {
	srv := webtest.MustServer(t)
	taken, _ := srv.MustSignUp(t, "taken")
	b := MustBrowser(t, "newcomer")

	b.Run(t, "open sign-up", chromedp.Navigate(srv.URL+shared.RouteSignUp), Visible("#signup-email"))
	b.Shots(t, "signup")
	b.Run(t, "sign up with a taken nickname",
		TypeInto("#signup-email", "newcomer@example.com"),
		TypeInto("#signup-nickname", taken.Nickname),
		TypeInto("#signup-password", "a long enough password"),
		Click("#signup-submit"),
		WaitText("#signup-nickname-error", "taken"),
	)
	b.Shots(t, "signup-error")
	b.Run(t, "sign up",
		TypeInto("#signup-nickname", "Newcomer"),
		Click("#signup-submit"),
		Visible("#new-conversation"),
		WaitJS(`location.pathname === "/"`),
		WaitJS(`document.querySelector("#conn-status") && (document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
	)
	b.Shots(t, "dashboard-empty")

	b.Run(t, "edit profile",
		chromedp.Navigate(srv.URL+shared.RouteProfile),
		Visible("#profile-nickname"),
	)
	b.Shots(t, "profile")
	b.Run(t, "change nickname",
		TypeInto("#profile-nickname", "Newbie"),
		Click("#profile-submit"),
		WaitJS(`document.body.innerText.includes("saved") || document.body.innerText.includes("Saved")`),
	)
	b.Run(t, "wrong current password is reported next to its field",
		TypeInto("#profile-new-password", "another long password"),
		TypeInto("#profile-current-password", "not my password"),
		Click("#profile-submit"),
		WaitJS(`!!document.querySelector("#profile-current-password-error") && document.querySelector("#profile-current-password-error").innerText.length > 0`),
	)
	b.Shots(t, "profile-error")

	b.Run(t, "reload stays signed in",
		chromedp.Reload(),
		Visible("#profile-nickname"),
		WaitJS(`(document.querySelector("#profile-nickname")||{}).value === "Newbie"`),
	)

	b.Run(t, "sign out",
		Click("#signout"),
		Click("#signout-confirm-yes"),
		Visible("#signin-login"),
	)
	b.Shots(t, "signin")
	b.Run(t, "sign in with the new nickname",
		TypeInto("#signin-login", "newbie"),
		TypeInto("#signin-password", "a long enough password"),
		Click("#signin-submit"),
		Visible("#new-conversation"),
	)

	// After this online visit the service worker has the app shell: stop
	// the server, cut the network, and open a deep link.
	b.Run(t, "service worker in control", WaitJS(`navigator.serviceWorker && navigator.serviceWorker.controller !== null`))
	deep := srv.URL + shared.ConversationPath(shared.NewUUIDv7())
	srv.Stop(t)
	b.Offline(t, true)
	b.Run(t, "deep link offline",
		chromedp.Navigate(deep),
		Visible("#conn-status"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "offline"`),
	)
	b.Shots(t, "offline-deep-link")
}
