package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// wipedNote ends every sign-out notice: the user must know what is gone.
const wipedNote = "Natter deleted this device's copy of your conversations, drafts and anything not sent yet."

// signOutText words why this device was signed out: a headline and what
// followed. The server's own reason is quoted when it gave one.
func signOutText(r client.SignOut) (title, detail string) {
	said := ""
	if r.Message != "" {
		said = "The server said: “" + r.Message + "” "
	}
	switch r.Code {
	case client.SignedOutHere:
		if r.All {
			return "You signed out of all your devices.", wipedNote
		}
		return "You signed out.", wipedNote
	case shared.CodeAccountDisabled:
		if r.Message == "This account has been disabled." {
			said = ""
		}
		return "This account has been disabled.", said + "Everything Natter kept on this device for it was deleted. Contact the operator if you think this is a mistake."
	case shared.CodeSessionRevoked:
		return "You were signed out of this device because your session was ended elsewhere (“Sign out of all devices”, a password change, or the operator).", said + wipedNote
	default:
		return "You were signed out of this device because your session has ended.", said + wipedNote
	}
}

// signedOutNotice tells the sign-in page why the user is there.
func signedOutNotice(r client.SignOut) app.UI {
	title, detail := signOutText(r)
	kind := "banner-warning"
	if r.Code == client.SignedOutHere {
		kind = "banner-info"
	}
	return app.Div().ID("signed-out-notice").Class("banner", kind).Role("alert").DataSet("code", r.Code).Body(
		icon("alert"),
		app.Div().Class("banner-text").Body(
			app.Strong().Text(title),
			app.Text(" "+detail),
		),
	)
}

// signOutQuestion words the confirmation asked before a sign-out: what it
// deletes from this device, with the counts when something was never sent.
func signOutQuestion(all bool, un client.Unsent) (question, detail string) {
	question = "Sign out of this device?"
	if all {
		question = "Sign out of all devices?"
	}
	switch {
	case un.Actions > 0 && un.Drafts > 0:
		detail = plural(un.Actions, "message or change", "messages or changes") + " not sent yet and " + plural(un.Drafts, "draft", "drafts") +
			" on this device will be deleted and never sent."
	case un.Actions > 0:
		detail = plural(un.Actions, "message or change", "messages or changes") + " not sent yet on this device will be deleted and never sent."
	case un.Drafts > 0:
		detail = plural(un.Drafts, "draft", "drafts") + " on this device will be deleted."
	default:
		detail = "Nothing is waiting to be sent."
	}
	detail += " This device's copy of your conversations is deleted too; they come back when you sign in again."
	if all {
		detail += " Every other device signed in to your account is signed out and deletes its copy, with whatever it has not sent yet."
	}
	return question, detail
}
