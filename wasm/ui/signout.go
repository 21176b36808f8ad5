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
		// The server's reasons as server/web words them; others are quoted.
		switch r.Message {
		case "You signed out.":
			return "You were signed out of this device because you signed out in another tab or on another device.", wipedNote
		case "Your password was changed on another device.":
			return "You were signed out of this device because your password was changed on another device.", wipedNote
		case shared.AccountDeletedMessage:
			return "Your account was deleted.", wipedNote
		}
		return "You were signed out of this device because your session was ended elsewhere.", said + wipedNote
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

// signOutPanel says what signing out deletes before it does. It is a
// component of its own so that it can bring itself, buttons included, into
// view when it appears, with Cancel focused.
type signOutPanel struct {
	app.Compo
	P      *Profile
	All    bool
	Unsent client.Unsent
	Busy   bool
}

// OnMount scrolls the question into view once it is drawn.
func (c *signOutPanel) OnMount(ctx app.Context) {
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("signout-confirm"); el.Truthy() {
			el.Call("scrollIntoView", map[string]any{"block": "nearest"})
		}
		if el := app.Window().GetElementByID("signout-confirm-no"); el.Truthy() {
			el.Call("focus", map[string]any{"preventScroll": true})
		}
	})
}

// Render draws the question and the two answers.
func (c *signOutPanel) Render() app.UI {
	question, detail := signOutQuestion(c.All, c.Unsent)
	return app.Div().ID("signout-confirm").Class("confirm").Role("alertdialog").
		Aria("labelledby", "signout-question").Aria("describedby", "signout-detail").Body(
		app.P().ID("signout-question").Class("confirm-question").Text(question),
		app.P().ID("signout-detail").Class("small").Text(detail),
		app.Div().Class("row-actions").Body(
			app.Button().ID("signout-confirm-yes").Type("button").Class("btn", "btn-small", "btn-danger").
				Aria("busy", boolAttr(c.Busy)).Disabled(c.Busy).OnClick(c.P.signOut(c.All)).
				Text(when(!c.Busy, "Sign out and delete")+when(c.Busy, "Signing out…")),
			app.Button().ID("signout-confirm-no").Type("button").Class("btn", "btn-small", "btn-secondary").
				Disabled(c.Busy).OnClick(c.P.cancelSignOut).Text("Cancel"),
		),
	)
}
