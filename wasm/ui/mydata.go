package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// deletionEffect says what deleting an account does, where the button is,
// so nobody deletes expecting their messages to stay (or to vanish without
// a trace: the others see where they were).
const deletionEffect = "Deleting your account signs you out on every device and erases the messages you " +
	"sent: the others see \"Message deleted\" in their place. Conversations you own pass to the " +
	"member who joined first. This cannot be undone."

// MyData is the profile's "Your data" card: download everything Natter
// keeps about you.
type MyData struct {
	app.Compo
	Env *Env
	Me  shared.User

	exporting bool
	exportErr string
	exported  bool
}

// DeleteAccount is the profile's "Delete account" card: deleting needs the
// password, so a borrowed unlocked device cannot do it.
type DeleteAccount struct {
	app.Compo
	Env *Env

	password   string
	deleting   bool
	deleteErrs formErrors
}

// Render draws the card.
func (c *MyData) Render() app.UI {
	return app.Div().Class("card").ID("my-data").Body(
		app.H2().Class("card-title").Text("Your data"),
		app.P().Class("muted").Text("Download what Natter keeps about you as a JSON file: your profile, "+
			"the conversations you are in, the messages you sent, what you read, your signed-in devices and whom you blocked."),
		app.Div().Class("row-actions").Body(
			app.Button().ID("export-data").Type("button").Class("btn", "btn-secondary").
				Aria("busy", boolAttr(c.exporting)).OnClick(c.export).
				Body(icon("down"), app.Span().Class("btn-label").
					Text(when(!c.exporting, "Download my data")+when(c.exporting, "Preparing…"))),
		),
		app.P().ID("export-status").Class("form-status").Role("status").Body(
			app.If(c.exported, func() app.UI { return app.Span().Body(icon("check"), app.Text("Downloaded.")) }),
		),
		fieldError("export-error", c.exportErr),
	)
}

// Render draws the card.
func (c *DeleteAccount) Render() app.UI {
	return app.Div().Class("card").ID("delete-account-card").Body(
		app.H2().Class("card-title").Text("Delete account"),
		app.P().Class("muted").ID("delete-effect").Text(deletionEffect),
		app.Form().ID("delete-form").Class("form").NoValidate(true).OnSubmit(c.remove).Body(
			formAlert("delete-form-error", c.deleteErrs[""]),
			field(fieldSpec{ID: "delete-password", Label: "Your password", Type: "password", Value: c.password,
				Error: c.deleteErrs["password"], AutoComplete: "current-password",
				Hint: "Enter it to confirm.", OnInput: c.input}),
			app.Div().Class("form-foot").Body(
				app.Button().ID("delete-account").Type("submit").Class("btn", "btn-danger").
					Aria("busy", boolAttr(c.deleting)).Aria("describedby", "delete-effect").
					Text(when(!c.deleting, "Delete my account")+when(c.deleting, "Deleting…")),
			),
		),
	)
}

func (c *DeleteAccount) input(ctx app.Context, e app.Event) {
	c.password = inputValue(ctx)
	c.deleteErrs = nil
}

// export fetches the file and hands it to the browser as a download.
func (c *MyData) export(ctx app.Context, e app.Event) {
	if c.exporting {
		return
	}
	c.exporting, c.exportErr, c.exported = true, "", false
	ctx.Async(func() {
		raw, err := c.Env.API.ExportData(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			c.exporting = false
			if err != nil {
				if unauthorized(err) && c.Env.SessionGone != nil {
					c.Env.SessionGone(sessionEnded(err)) // ended while away: wipe, then sign in
					return
				}
				if unauthorized(err) {
					ctx.Navigate(signInPath(shared.RouteProfile))
					return
				}
				c.exportErr = friendly(err)
				return
			}
			saveFile("natter-"+c.Me.Nickname+"-"+time.Now().Format("2006-01-02")+".json", "application/json", string(raw))
			c.exported = true
		})
	})
}

// remove deletes the account; on success this device wipes what it holds
// of the user and shows the sign-in page.
func (c *DeleteAccount) remove(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.deleting {
		return
	}
	if c.password == "" {
		c.deleteErrs = formErrors{"password": "Enter your password to delete your account."}
		focusID(ctx, "delete-password")
		return
	}
	c.deleting, c.deleteErrs = true, nil
	pw := c.password
	ctx.Async(func() {
		err := c.Env.API.DeleteAccount(ctx, pw)
		ctx.Dispatch(func(ctx app.Context) {
			c.deleting = false
			if err != nil && !unauthorized(err) {
				c.deleteErrs = fromError(err)
				focusID(ctx, "delete-password")
				return
			}
			c.password = ""
			clearInput("delete-password")
			// The account is gone: this device forgets everything of it
			// (the engine's wipe, as on any revocation) and shows sign-in
			// with the reason. The server closes the connection with the
			// same reason, which the engine takes as the same event.
			gone := client.SignOut{Code: shared.CodeSessionRevoked, Message: shared.AccountDeletedMessage}
			if c.Env.SessionGone != nil {
				c.Env.SessionGone(gone)
				return
			}
			ctx.Navigate(shared.RouteSignIn)
		})
	})
}

// saveFile offers text to the user as a file download, through a Blob and
// a temporary link: the only way a page saves a file it has in memory.
func saveFile(name, mime, text string) {
	w := app.Window()
	blob := w.Get("Blob").New([]any{text}, map[string]any{"type": mime})
	url := w.Get("URL").Call("createObjectURL", blob)
	a := w.Get("document").Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Get("style").Set("display", "none")
	body := w.Get("document").Get("body")
	body.Call("appendChild", a)
	a.Call("click")
	body.Call("removeChild", a)
	// The download has its own copy once started; revoking at once is
	// allowed but some browsers cancel, so wait a moment.
	w.Call("setTimeout", app.FuncOf(func(this app.Value, args []app.Value) any {
		w.Get("URL").Call("revokeObjectURL", url)
		return nil
	}), 60_000)
}
