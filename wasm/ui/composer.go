package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

// composerMaxHeight caps the textarea's growth, in CSS pixels.
const composerMaxHeight = 200

// Composer is the message box. Enter sends, Shift+Enter starts a new line.
// The draft is saved as you type and comes back after a reload. It is never
// disabled: without a connection messages queue in the outbox.
//
// The textarea is uncontrolled: its DOM value is the truth and the component
// only writes it to restore a draft or to clear it after sending, so a
// re-render can never move the caret or drop a keystroke.
type Composer struct {
	app.Compo
	Env     *Env
	ConvID  string
	BodyMax int
	Title   string

	text  string
	err   string
	shown string // counter and error as last rendered
	guard keyGuard

	// Replying, editing and mention suggestions: compose_modes.go.
	mode                     composeMode
	mentions                 []string
	mentionSel, mentionStart int
}

// OnMount restores the draft and guards Enter.
func (c *Composer) OnMount(ctx app.Context) {
	c.text = c.Env.Engine.Draft(c.ConvID)
	c.shown = c.viewKey()
	// Enter never edits the text, whether the message then goes out or is
	// refused (too long): see keyGuard.
	c.guard.attach(ctx, "composer", c.guardKey)
	ctx.Handle(actionCompose, c.handleIntent)
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("composer"); el.Truthy() {
			// Someone quick may have typed between the box appearing and
			// this restore: their keystrokes win over an older draft.
			if typed := el.Get("value").String(); typed != "" && typed != c.text {
				c.text = typed
				c.Env.Engine.SetDraft(c.ConvID, typed)
			} else {
				el.Set("value", c.text)
			}
			autosize(el)
		}
	})
}

// OnDismount releases the Enter guard.
func (c *Composer) OnDismount() { c.guard.release() }

func (c *Composer) limit() int {
	if c.BodyMax > 0 {
		return c.BodyMax
	}
	return shared.DefaultBodyMax
}

// counter returns the "characters left" text once the message nears the
// limit, and whether it is over.
func (c *Composer) counter() (string, bool) {
	n, max := utf8.RuneCountInString(c.text), c.limit()
	left := max - n
	switch {
	case left < 0:
		return fmt.Sprintf("%s over the limit", thousands(-left)), true
	case left <= max/10 || left <= 100:
		return fmt.Sprintf("%s left", thousands(left)), false
	}
	return "", false
}

// viewKey is everything the render shows that depends on the text.
func (c *Composer) viewKey() string {
	s, _ := c.counter()
	return s + "\x00" + c.err
}

func (c *Composer) onInput(ctx app.Context, e app.Event) {
	el := ctx.JSSrc()
	c.text = el.Get("value").String()
	if c.text != "" && strings.Trim(c.text, "\r\n") == "" {
		// Only the newline of an Enter that sent the last message.
		c.text = ""
		el.Set("value", "")
	}
	autosize(el)
	hadMentions := len(c.mentions) > 0
	c.suggest(el)
	c.syncActive()
	if !c.mode.active || !c.mode.intent.Edit {
		c.Env.Engine.SetDraft(c.ConvID, c.text)
	}
	if c.text != "" {
		c.Env.Engine.Typing(c.ConvID) // the engine throttles it
	}
	if c.err != "" && utf8.RuneCountInString(c.text) <= c.limit() {
		c.err = ""
	}
	if k := c.viewKey(); k != c.shown || hadMentions || len(c.mentions) > 0 {
		c.shown = k
		return
	}
	ctx.PreventUpdate() // nothing visible changed: skip the redraw
}

func (c *Composer) onKey(ctx app.Context, e app.Event) {
	key := e.Get("key").String()
	if !e.Get("isComposing").Truthy() && c.mentionKey(key) {
		e.PreventDefault()
		return
	}
	switch {
	case key == "Escape" && c.mode.active:
		c.endMode()
		return
	case key == "ArrowUp" && !c.mode.active && app.Window().GetElementByID("composer").Get("value").String() == "":
		if c.editLast() {
			e.PreventDefault()
			return
		}
	}
	if !isSendKey(e.Value) {
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	at, ok := valueAtKey(e)
	c.send(ctx, at, ok)
}

func (c *Composer) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.send(ctx, "", false)
	focusID(ctx, "composer")
}

// send queues the message. With atKey, it sends the box's text as it was
// when Enter went down (the guard noted it), not what it holds now: a
// quick typist may already be writing the next message.
func (c *Composer) send(ctx app.Context, text string, atKey bool) {
	el := app.Window().GetElementByID("composer")
	switch {
	case atKey:
		c.text = text
	case el.Truthy():
		c.text = el.Get("value").String()
	}
	sent := c.text
	// Leading blank lines are never meant: they are the Enter of the last
	// message arriving after the box was cleared.
	body := shared.NormalizeBody(strings.TrimLeft(sent, "\r\n"))
	if fe := shared.ValidateBody(body, c.limit()); fe != nil {
		if fe.Code != shared.CodeEmptyBody {
			c.err = fe.Message
		}
		c.shown = c.viewKey()
		return
	}
	wasEdit := c.mode.active && c.mode.intent.Edit
	if handled, err := c.submitMode(body); handled && err != nil {
		c.err = "Couldn't queue it: " + err.Error()
		c.shown = c.viewKey()
		return
	} else if !handled {
		if _, err := c.Env.Engine.Send(c.ConvID, body); err != nil {
			c.err = "Couldn't queue the message: " + err.Error()
			c.shown = c.viewKey()
			return
		}
	}
	c.mentions = nil
	// Send waits for the outbox write, and the user may have typed on
	// meanwhile: remove only what was sent and keep the rest.
	rest := ""
	if el.Truthy() {
		if cur := el.Get("value").String(); strings.HasPrefix(cur, sent) {
			rest = cur[len(sent):]
		} else if cur != sent {
			rest = cur
		}
		rest = strings.TrimLeft(rest, "\r\n") // the Enter's own newline, if it got through
		el.Set("value", rest)
		autosize(el)
	}
	c.text, c.err = rest, ""
	c.shown = c.viewKey()
	if wasEdit {
		rest = c.Env.Engine.Draft(c.ConvID) // the draft set aside while editing comes back
		c.setBox(rest)
		return
	}
	c.Env.Engine.SetDraft(c.ConvID, rest)
}

// Render draws the composer.
func (c *Composer) Render() app.UI {
	count, over := c.counter()
	placeholder := "Message"
	if c.Title != "" {
		placeholder = "Message " + c.Title
	}
	return app.Form().ID("composer-form").Class("composer").NoValidate(true).OnSubmit(c.onSubmit).Body(
		c.modeBar(),
		c.mentionList(),
		app.Label().For("composer").Class("visually-hidden").Text("Message"),
		app.Div().Class("composer-box", when(c.err != "", "has-error")).Body(
			app.Textarea().ID("composer").Class("composer-input").Rows(1).
				Placeholder(placeholder).
				Attr("autocomplete", "off").
				Attr("enterkeyhint", "send").
				Aria("invalid", boolAttr(c.err != "")).
				Aria("describedby", "composer-error composer-counter composer-hint").
				Aria("autocomplete", "list").Aria("controls", "mention-list").
				OnInput(c.onInput).OnKeyDown(c.onKey),
			app.Button().ID("send").Type("submit").Class("send-btn").Aria("label", "Send").Title("Send (Enter)").
				Body(icon("send")),
		),
		app.Div().Class("composer-foot").Body(
			fieldError("composer-error", c.err),
			app.Span().ID("composer-hint").Class("visually-hidden").Text("Enter sends, Shift+Enter adds a line, Up-arrow edits your last message, @ mentions someone."),
			app.Span().ID("composer-counter").Class("counter", when(over, "is-over")).Text(count),
		),
	)
}

// autosize grows the textarea with its content up to a cap. Setting the
// style through the CSSOM is allowed under the strict CSP; style attributes
// are not.
func autosize(el app.Value) {
	style := el.Get("style")
	style.Set("height", "auto")
	h := el.Get("scrollHeight").Int()
	if h > composerMaxHeight {
		h = composerMaxHeight
	}
	style.Set("height", fmt.Sprintf("%dpx", h))
}
