package ui

import (
	"errors"
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// SignUp is the registration page: email, nickname and password, plus an
// invite code when the server's signup mode asks for one.
type SignUp struct {
	app.Compo
	Env *Env

	email, nickname, password, invite string
	mode                              string // shared.Signup*; "" until the server said
	errs                              formErrors
	busy                              bool
}

// OnMount takes an invite code from the link (?invite=) and asks the server
// whether signing up needs one, or is closed.
func (c *SignUp) OnMount(ctx app.Context) {
	if code := ctx.Page().URL().Query().Get("invite"); code != "" {
		c.invite = code
	}
	ctx.Async(func() {
		mode, err := c.Env.API.SignupMode(ctx)
		if err != nil {
			return // offline: show the form; the server will say if it needs more
		}
		ctx.Dispatch(func(ctx app.Context) { c.mode = mode })
	})
}

// Render draws the form, or a notice when the server takes no new accounts.
func (c *SignUp) Render() app.UI {
	if c.mode == shared.SignupClosed {
		return authFrame("Sign-up is closed", "This server does not take new accounts. Ask its operator to create one for you.",
			app.P().ID("signup-closed").Class("auth-switch").Body(
				app.Text("Already have an account? "),
				app.A().Href(shared.RouteSignIn).Text("Sign in"),
			),
		)
	}
	var inviteField app.UI = app.Text("")
	if c.mode == shared.SignupInvite {
		inviteField = field(fieldSpec{ID: "signup-invite", Label: "Invite code", Type: "text", Value: c.invite,
			Error: c.errs["invite"], AutoComplete: "off",
			Hint:    "This server is invite-only: enter the code its operator gave you.",
			OnInput: c.input(&c.invite, "invite")})
	}
	return authFrame("Create your account", "Chat with anyone, even when the network doesn't cooperate.",
		app.Form().ID("signup-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
			formAlert("signup-form-error", c.errs[""]),
			field(fieldSpec{ID: "signup-email", Label: "Email", Type: "email", Value: c.email,
				Error: c.errs["email"], AutoComplete: "email", AutoFocus: true,
				OnInput: c.input(&c.email, "email")}),
			field(fieldSpec{ID: "signup-nickname", Label: "Nickname", Type: "text", Value: c.nickname,
				Error: c.errs["nickname"], AutoComplete: "username",
				Hint:    "What people see and search for: 2–32 letters, digits, '.', '_' or '-'.",
				OnInput: c.input(&c.nickname, "nickname")}),
			field(fieldSpec{ID: "signup-password", Label: "Password", Type: "password", Value: c.password,
				Error: c.errs["password"], AutoComplete: "new-password",
				Hint:    "At least 10 characters.",
				OnInput: c.input(&c.password, "password")}),
			inviteField,
			submitButton("signup-submit", "Create account", "Creating account…", c.busy),
		),
		app.P().Class("auth-switch").Body(
			app.Text("Already have an account? "),
			app.A().Href(shared.RouteSignIn).Text("Sign in"),
		),
	)
}

func (c *SignUp) input(dst *string, name string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		*dst = inputValue(ctx)
		if c.errs[name] != "" || c.errs[""] != "" {
			delete(c.errs, name)
			delete(c.errs, "")
		}
	}
}

func (c *SignUp) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	req := shared.RegisterRequest{Email: shared.NormalizeEmail(c.email), Nickname: strings.TrimSpace(c.nickname), Password: c.password}
	c.errs = formErrors{}
	c.errs.add(shared.ValidateEmail(req.Email))
	c.errs.add(shared.ValidateNickname(req.Nickname))
	c.errs.add(shared.ValidatePassword("password", req.Password))
	if c.mode == shared.SignupInvite {
		req.Invite = strings.TrimSpace(c.invite)
		if req.Invite == "" {
			c.errs["invite"] = "Enter your invite code."
		}
	}
	if c.focusFirstError(ctx) {
		return
	}
	c.busy = true
	ctx.Async(func() {
		u, err := c.Env.API.Register(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				c.errs = fromError(err)
				var fe *client.FormError
				switch {
				case errors.As(err, &fe) && fe.Has(shared.CodeSignupClosed):
					c.mode = shared.SignupClosed
				case c.errs["invite"] != "":
					c.mode = shared.SignupInvite // the server changed its mind since the page loaded
				}
				c.focusFirstError(ctx)
				return
			}
			signedIn(ctx, c.Env, u)
		})
	})
}

func (c *SignUp) focusFirstError(ctx app.Context) bool {
	for _, f := range []struct{ name, id string }{{"email", "signup-email"}, {"nickname", "signup-nickname"}, {"password", "signup-password"}, {"invite", "signup-invite"}, {"", "signup-email"}} {
		if c.errs[f.name] != "" {
			focusID(ctx, f.id)
			return true
		}
	}
	return false
}

// SignIn is the sign-in page: email or nickname, and password.
type SignIn struct {
	app.Compo
	Env *Env

	login, password string
	errs            formErrors
	busy            bool
}

// Render draws the form.
func (c *SignIn) Render() app.UI {
	return authFrame("Welcome back", "Sign in to pick up your conversations where you left them.",
		app.Form().ID("signin-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
			formAlert("signin-form-error", c.errs[""]),
			field(fieldSpec{ID: "signin-login", Label: "Email or nickname", Type: "text", Value: c.login,
				Error: c.errs["login"], AutoComplete: "username", AutoFocus: true,
				OnInput: c.input(&c.login, "login")}),
			field(fieldSpec{ID: "signin-password", Label: "Password", Type: "password", Value: c.password,
				Error: c.errs["password"], AutoComplete: "current-password",
				OnInput: c.input(&c.password, "password")}),
			submitButton("signin-submit", "Sign in", "Signing in…", c.busy),
		),
		app.P().Class("auth-switch").Body(
			app.Text("New to Natter? "),
			app.A().Href(shared.RouteSignUp).Text("Create an account"),
		),
	)
}

func (c *SignIn) input(dst *string, name string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		*dst = inputValue(ctx)
		if c.errs[name] != "" || c.errs[""] != "" {
			delete(c.errs, name)
			delete(c.errs, "")
		}
	}
}

func (c *SignIn) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	req := shared.SignInRequest{Login: strings.TrimSpace(c.login), Password: c.password}
	c.errs = formErrors{}
	if req.Login == "" {
		c.errs["login"] = "Enter your email or nickname."
	}
	if req.Password == "" {
		c.errs["password"] = "Enter your password."
	}
	if c.focusFirstError(ctx) {
		return
	}
	c.busy = true
	ctx.Async(func() {
		u, err := c.Env.API.SignIn(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				c.errs = fromError(err)
				if c.errs[""] != "" && c.errs["password"] == "" && c.errs["login"] == "" {
					// Wrong credentials name no field: the password is what to retype.
					focusID(ctx, "signin-password")
					return
				}
				c.focusFirstError(ctx)
				return
			}
			signedIn(ctx, c.Env, u)
		})
	})
}

func (c *SignIn) focusFirstError(ctx app.Context) bool {
	for _, f := range []struct{ name, id string }{{"login", "signin-login"}, {"password", "signin-password"}, {"", "signin-login"}} {
		if c.errs[f.name] != "" {
			focusID(ctx, f.id)
			return true
		}
	}
	return false
}

// signedIn hands the new session to the engine and goes where the user was
// headed before being asked to sign in.
func signedIn(ctx app.Context, env *Env, u shared.User) {
	env.user = u
	if env.AfterSignIn != nil {
		env.AfterSignIn(u)
	}
	ctx.Navigate(nextPath(ctx.Page().URL()))
}

// nextPath returns the local path in ?next=, or the dashboard. Only paths on
// this origin are accepted, so a crafted link cannot bounce users elsewhere.
func nextPath(u *url.URL) string {
	next := u.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return shared.RouteHome
	}
	switch next {
	case shared.RouteSignIn, shared.RouteSignUp:
		return shared.RouteHome
	}
	return next
}

// signInPath returns the sign-in page that comes back to path afterwards.
func signInPath(path string) string {
	if path == "" || path == shared.RouteHome {
		return shared.RouteSignIn
	}
	return shared.RouteSignIn + "?next=" + url.QueryEscape(path)
}

// authFrame is the centered card the account pages share.
func authFrame(title, subtitle string, body ...app.UI) app.UI {
	return app.Main().ID("main").Class("auth").Body(
		app.Div().Class("auth-card").Body(
			app.Div().Class("auth-brand").Body(logo("auth-logo"), app.Span().Text("Natter")),
			app.H1().Class("auth-title").Text(title),
			app.P().Class("auth-sub").Text(subtitle),
			app.Div().Body(body...),
		),
	)
}
