package ui

import (
	"errors"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// formErrors holds one message per form field ("" is the form as a whole),
// keyed by the field names the server uses in shared.FieldError.
type formErrors map[string]string

// set records a validation failure; nil is ignored.
func (f formErrors) add(fe *shared.FieldError) {
	if fe != nil && f[fe.Field] == "" {
		f[fe.Field] = fe.Message
	}
}

// fromError spreads an API failure over the fields it names. Anything that
// is not a form error (no network, a broken proxy) becomes a form-wide error.
func fromError(err error) formErrors {
	out := formErrors{}
	var fe *client.FormError
	if errors.As(err, &fe) {
		for _, e := range fe.Errors {
			if out[e.Field] == "" {
				out[e.Field] = e.Message
			}
		}
		return out
	}
	if errors.Is(err, client.ErrUnreachable) {
		out[""] = "Can't reach Natter right now. Check your connection and try again."
		return out
	}
	out[""] = "Something went wrong: " + err.Error()
	return out
}

// unauthorized reports whether err says the device is not signed in.
func unauthorized(err error) bool {
	var fe *client.FormError
	return errors.As(err, &fe) && (fe.Status == 401 || fe.Has(shared.CodeUnauthorized) || fe.Has(shared.CodeSessionRevoked) ||
		fe.Has(shared.CodeAccountDisabled))
}

// sessionEnded is why an account API answer says the session is gone: the
// account is disabled, or the session ended.
func sessionEnded(err error) client.SignOut {
	var fe *client.FormError
	if errors.As(err, &fe) && fe.Has(shared.CodeAccountDisabled) {
		return client.SignOut{Code: shared.CodeAccountDisabled, Message: fe.Errors[0].Message}
	}
	return client.SignOut{Code: shared.CodeUnauthorized}
}

// fieldSpec describes one labelled input of a form.
type fieldSpec struct {
	ID           string // element id; the error element is ID+"-error"
	Label        string
	Type         string
	Value        string
	Error        string
	Hint         string
	AutoComplete string
	Placeholder  string
	AutoFocus    bool
	OnInput      app.EventHandler
}

// field renders a label, an input and the places for its hint and its
// error. The error element is always present (empty when fine) so screen
// readers announce a message when it appears, and the input points at it
// with aria-describedby.
func field(f fieldSpec) app.UI {
	errID := f.ID + "-error"
	describedBy := errID
	if f.Hint != "" {
		describedBy = f.ID + "-hint " + errID
	}
	invalid := "false"
	if f.Error != "" {
		invalid = "true"
	}
	return app.Div().Class("field", when(f.Error != "", "has-error")).Body(
		app.Label().For(f.ID).Class("field-label").Text(f.Label),
		app.Input().
			ID(f.ID).
			Name(f.ID).
			Type(f.Type).
			Class("input").
			Value(f.Value).
			Placeholder(f.Placeholder).
			Attr("autocomplete", f.AutoComplete).
			Attr("spellcheck", "false").
			Attr("autocapitalize", "off").
			AutoFocus(f.AutoFocus).
			Aria("invalid", invalid).
			Aria("describedby", describedBy).
			OnInput(f.OnInput),
		app.If(f.Hint != "", func() app.UI {
			return app.P().ID(f.ID + "-hint").Class("field-hint").Text(f.Hint)
		}),
		fieldError(errID, f.Error),
	)
}

// fieldError is the live region under a field.
func fieldError(id, msg string) app.UI {
	return app.P().ID(id).Class("field-error").Attr("aria-live", "polite").Body(
		app.If(msg != "", func() app.UI {
			return app.Span().Class("field-error-inner").Body(icon("alert"), app.Span().Text(msg))
		}),
	)
}

// formAlert is the error about the form as a whole, above the fields.
func formAlert(id, msg string) app.UI {
	return app.Div().ID(id).Class("form-alert").Role("alert").Body(
		app.If(msg != "", func() app.UI {
			return app.Div().Class("form-alert-inner").Body(icon("alert"), app.Span().Text(msg))
		}),
	)
}

// submitButton is a form's primary button with a busy state. It is never
// disabled (a disabled button drops keyboard focus); a second submit while
// busy is ignored by the form instead.
func submitButton(id, label, busyLabel string, busy bool) app.UI {
	text := label
	if busy {
		text = busyLabel
	}
	return app.Button().
		ID(id).
		Type("submit").
		Class("btn", "btn-primary", "btn-block", when(busy, "is-busy")).
		Aria("busy", boolAttr(busy)).
		Aria("disabled", boolAttr(busy)).
		Body(
			app.If(busy, func() app.UI { return app.Span().Class("spinner").Aria("hidden", "true") }),
			app.Span().Text(text),
		)
}

// inputValue reads the value of the element that fired an event.
func inputValue(ctx app.Context) string { return ctx.JSSrc().Get("value").String() }

// focusID moves keyboard focus to an element after the current render.
func focusID(ctx app.Context, id string) {
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	})
}

// focusNow moves keyboard focus at once. Handlers of an element that the
// next render removes (a picked result, a removed chip) use it: go-app
// skips deferred work whose source element is gone, so focusID would do
// nothing there.
func focusNow(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}

// when returns s when cond holds, for optional class names.
func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// cls joins class names, skipping empty ones.
func cls(names ...string) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// boolAttr renders a boolean ARIA attribute value.
func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// friendly says in a few words why a network call failed.
func friendly(err error) string {
	switch {
	case errors.Is(err, client.ErrUnreachable):
		return "You seem to be offline."
	case unauthorized(err):
		return "You are signed out."
	}
	var fe *client.FormError
	if errors.As(err, &fe) && len(fe.Errors) > 0 {
		return fe.Errors[0].Message
	}
	return err.Error()
}
