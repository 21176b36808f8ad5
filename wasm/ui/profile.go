package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// Profile lets the user change their nickname, email and password, and sign
// out of this device or all of them.
type Profile struct {
	app.Compo
	Env *Env
	Me  shared.User

	loadedFor                                     int64 // the user the fields were filled from
	nickname, email, newPassword, currentPassword string
	errs                                          formErrors
	busy, saved                                   bool
	signingOut                                    string // "", "one" or "all"
	signOutErr                                    string
	confirmOut                                    string        // "", "one" or "all": the confirmation shown
	unsent                                        client.Unsent // what the shown confirmation would delete
}

// OnMount fills the form from the signed-in user.
func (c *Profile) OnMount(ctx app.Context) { c.fill() }

// OnUpdate fills the form when the user becomes known after mount.
func (c *Profile) OnUpdate(ctx app.Context) { c.fill() }

func (c *Profile) fill() {
	if c.Me.ID == 0 || c.loadedFor == c.Me.ID {
		return
	}
	c.loadedFor = c.Me.ID
	c.nickname, c.email = c.Me.Nickname, c.Me.Email
}

// Render draws the profile form and the sign-out buttons.
func (c *Profile) Render() app.UI {
	return app.Section().Class("page page-profile").Aria("labelledby", "profile-heading").Body(
		pageHead("profile-heading", "Profile", shared.RouteHome),
		app.Div().Class("page-body").Body(
			app.Div().Class("card").Body(
				app.H2().Class("card-title").Text("Account"),
				app.Form().ID("profile-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
					formAlert("profile-form-error", c.errs[""]),
					field(fieldSpec{ID: "profile-nickname", Label: "Nickname", Type: "text", Value: c.nickname,
						Error: c.errs["nickname"], AutoComplete: "username", OnInput: c.input(&c.nickname, "nickname")}),
					field(fieldSpec{ID: "profile-email", Label: "Email", Type: "email", Value: c.email,
						Error: c.errs["email"], AutoComplete: "email", OnInput: c.input(&c.email, "email")}),
					field(fieldSpec{ID: "profile-new-password", Label: "New password", Type: "password", Value: c.newPassword,
						Error: c.errs["new_password"], AutoComplete: "new-password",
						Hint: "Leave empty to keep your password.", OnInput: c.input(&c.newPassword, "new_password")}),
					field(fieldSpec{ID: "profile-current-password", Label: "Current password", Type: "password", Value: c.currentPassword,
						Error: c.errs["current_password"], AutoComplete: "current-password",
						Hint: "Needed to change your email or password.", OnInput: c.input(&c.currentPassword, "current_password")}),
					app.Div().Class("form-foot").Body(
						submitButton("profile-submit", "Save changes", "Saving…", c.busy),
						app.P().ID("profile-status").Class("form-status").Role("status").Body(
							app.If(c.saved, func() app.UI { return app.Span().Body(icon("check"), app.Text("Saved.")) }),
						),
					),
				),
			),
			&StorageCard{Env: c.Env},
			app.Div().Class("card").Body(
				app.H2().Class("card-title").Text("Sessions"),
				app.P().Class("muted").Text("Signing out deletes this device's copy of your conversations, your drafts and any messages or changes not sent yet."),
				app.If(c.confirmOut == "", func() app.UI {
					return app.Div().Class("row-actions").Body(
						app.Button().ID("signout").Type("button").Class("btn", "btn-secondary").OnClick(c.askSignOut(false)).Text("Sign out"),
						app.Button().ID("signout-all").Type("button").Class("btn", "btn-danger-ghost").OnClick(c.askSignOut(true)).Text("Sign out of all devices"),
					)
				}).Else(func() app.UI {
					return &signOutPanel{P: c, All: c.confirmOut == "all", Unsent: c.unsent, Busy: c.signingOut != ""}
				}),
				fieldError("signout-error", c.signOutErr),
			),
			&PushDevices{Env: c.Env, Me: c.Me},
			&BlockedPeople{Env: c.Env, Me: c.Me},
			&MyData{Env: c.Env, Me: c.Me}, &DeleteAccount{Env: c.Env},
		),
	)
}

func (c *Profile) input(dst *string, name string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		*dst = inputValue(ctx)
		c.saved = false
		delete(c.errs, name)
		delete(c.errs, "")
	}
}

func (c *Profile) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	c.saved = false
	c.errs = formErrors{}
	var p shared.ProfileUpdate
	if nick := strings.TrimSpace(c.nickname); nick != c.Me.Nickname {
		p.Nickname = nick
		c.errs.add(shared.ValidateNickname(nick))
	}
	if email := shared.NormalizeEmail(c.email); !strings.EqualFold(email, c.Me.Email) {
		p.Email = email
		c.errs.add(shared.ValidateEmail(email))
	}
	if c.newPassword != "" {
		p.NewPassword = c.newPassword
		c.errs.add(shared.ValidatePassword("new_password", c.newPassword))
	}
	if (p.Email != "" || p.NewPassword != "") && c.currentPassword == "" {
		c.errs["current_password"] = "Enter your current password to change your email or password."
	}
	p.CurrentPassword = c.currentPassword
	if c.focusFirstError(ctx) {
		return
	}
	if p.Nickname == "" && p.Email == "" && p.NewPassword == "" {
		c.saved = true // nothing changed: nothing to send
		return
	}
	c.busy = true
	ctx.Async(func() {
		u, err := c.Env.API.UpdateProfile(ctx, p)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				if unauthorized(err) {
					if c.Env.SessionGone != nil {
						c.Env.SessionGone(sessionEnded(err)) // ended while away: wipe, then sign in
						return
					}
					ctx.Navigate(signInPath(shared.RouteProfile))
					return
				}
				c.errs = fromError(err)
				c.focusFirstError(ctx)
				return
			}
			c.Me = u
			c.Env.Engine.SetMe(u)
			c.nickname, c.email = u.Nickname, u.Email
			c.newPassword, c.currentPassword = "", ""
			clearInput("profile-new-password")
			clearInput("profile-current-password")
			c.saved = true
		})
	})
}

func (c *Profile) focusFirstError(ctx app.Context) bool {
	for _, f := range []struct{ name, id string }{
		{"nickname", "profile-nickname"}, {"email", "profile-email"}, {"new_password", "profile-new-password"},
		{"current_password", "profile-current-password"}, {"", "profile-nickname"},
	} {
		if c.errs[f.name] != "" {
			focusID(ctx, f.id)
			return true
		}
	}
	return false
}

// askSignOut shows the confirmation, with what signing out would delete
// from this device counted now.
func (c *Profile) askSignOut(all bool) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.confirmOut, c.signOutErr = "one", ""
		if all {
			c.confirmOut = "all"
		}
		c.unsent = c.Env.Engine.Unsent()
	}
}

// cancelSignOut closes the confirmation; nothing was deleted.
func (c *Profile) cancelSignOut(ctx app.Context, e app.Event) {
	c.confirmOut = ""
	focusID(ctx, "signout")
}

// signOut ends the session and wipes this device; main then loads the
// sign-in page. On failure the user stays signed in with the error shown.
func (c *Profile) signOut(all bool) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if c.signingOut != "" || c.Env.SignOut == nil {
			return
		}
		c.signingOut, c.signOutErr = c.confirmOut, ""
		ctx.Async(func() {
			err := c.Env.SignOut(ctx, all)
			ctx.Dispatch(func(ctx app.Context) {
				c.signingOut = ""
				if err != nil {
					c.signOutErr = fromError(err)[""]
					if c.signOutErr == "" {
						c.signOutErr = err.Error()
					}
				}
			})
		})
	}
}

// clearInput empties an input in the DOM. go-app drops an empty value
// attribute instead of writing it, so clearing a field has to be explicit.
func clearInput(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", "")
	}
}

// pageHead is the header of a pane page: a back link (shown on phones) and
// the page title.
func pageHead(id, title, back string) app.UI {
	return app.Header().Class("pane-head").Body(
		app.A().Class("icon-btn", "back").Href(back).Aria("label", "Back to conversations").Body(icon("back")),
		app.H1().ID(id).Class("pane-title").Text(title),
	)
}
