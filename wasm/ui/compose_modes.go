package ui

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// The composer's two modes besides writing a new message, and its mention
// autocomplete.
//
//   - Replying: the message list's menu asks (actionCompose); a bar above
//     the box quotes the sender and first line; the next message sent
//     answers it. Escape or ✕ cancels.
//   - Editing: from the menu, or Up-arrow in an empty box (the user's last
//     message); the box holds its text, Enter saves the edit. Escape or ✕
//     cancels and empties the box again.
//   - Mentions: typing @ and the start of a member's nickname lists the
//     matching members; Up/Down move, Enter or Tab picks, Escape closes.

// composeMode is what the next Enter does with the box's text.
type composeMode struct {
	intent composeIntent
	active bool
}

// mentionMax caps the suggestions shown.
const mentionMax = 6

// handleIntent switches the composer to replying or editing.
func (c *Composer) handleIntent(ctx app.Context, a app.Action) {
	in, ok := a.Value.(composeIntent)
	if !ok {
		return
	}
	c.startMode(in)
	focusNow("composer")
}

// startMode enters reply or edit mode; editing puts the message's text in
// the box (the draft is kept aside and comes back after).
func (c *Composer) startMode(in composeIntent) {
	c.mode = composeMode{intent: in, active: true}
	if in.Edit {
		c.setBox(in.Body)
	}
}

// endMode leaves reply or edit mode; leaving an edit empties the box.
func (c *Composer) endMode() {
	wasEdit := c.mode.active && c.mode.intent.Edit
	c.mode = composeMode{}
	if wasEdit {
		c.setBox(c.Env.Engine.Draft(c.ConvID)) // the draft set aside comes back
	}
}

// setBox replaces the box's text and the draft.
func (c *Composer) setBox(text string) {
	c.text = text
	if el := app.Window().GetElementByID("composer"); el.Truthy() {
		el.Set("value", text)
		autosize(el)
	}
	if !c.mode.active || !c.mode.intent.Edit {
		c.Env.Engine.SetDraft(c.ConvID, text)
	}
	c.shown = c.viewKey()
}

// submitMode sends body in the current mode; handled is false when the
// composer is in no mode and sends as usual.
func (c *Composer) submitMode(body string) (handled bool, err error) {
	if !c.mode.active {
		return false, nil
	}
	in := c.mode.intent
	if in.Edit {
		err = c.Env.Engine.Edit(c.ConvID, in.Seq, in.ActionID, body)
	} else {
		_, err = c.Env.Engine.Reply(c.ConvID, body, in.Seq, in.ActionID)
	}
	if err == nil {
		c.mode = composeMode{}
	}
	return true, err
}

// editLast starts editing the user's newest message that can be edited:
// Up-arrow in an empty box.
func (c *Composer) editLast() bool {
	me := c.Env.Engine.State().Me.ID
	msgs := c.Env.Engine.Messages(c.ConvID)
	for _, m := range slices.Backward(msgs) {
		if m.SenderID == me && m.Kind != shared.KindSystem && m.DeletedAt == nil && m.State != client.MsgFailed {
			c.startMode(composeIntent{Edit: true, Seq: m.Seq, ActionID: m.ActionID, Body: m.Body})
			return true
		}
	}
	return false
}

// modeBar says what Enter will do, with a way out. It is always present
// (empty when writing a new message): an element appearing before the
// textarea would make go-app replace the textarea.
func (c *Composer) modeBar() app.UI {
	bar := app.Div().ID("composer-mode").Class("composer-mode", when(c.mode.active, "is-active")).Aria("live", "polite")
	if !c.mode.active {
		return bar
	}
	in := c.mode.intent
	label, line := "Editing message", ""
	if !in.Edit {
		label, line = "Replying to "+in.Sender, PlainText(ParseMarkup(shared.FirstLine(in.Body)))
	}
	return bar.Body(
		icon(map[bool]string{true: "sliders", false: "reply"}[in.Edit]),
		app.Span().Class("composer-mode-label").Text(label),
		app.Span().Class("composer-mode-line").Text(line),
		app.Button().Type("button").Class("icon-btn", "composer-mode-cancel").Aria("label", "Cancel").Title("Cancel (Escape)").
			OnClick(func(ctx app.Context, e app.Event) { c.endMode(); focusNow("composer") }).Body(icon("x")),
	)
}

// mentionQuery returns the @word being typed at the caret, if any.
func mentionQuery(el app.Value, text string) (query string, start int, ok bool) {
	caret := el.Get("selectionStart").Int()
	// selectionStart counts UTF-16 units; fall back to the end when the
	// text is not plain ASCII up to it.
	if caret > len(text) || !isASCII(text[:min(caret, len(text))]) {
		caret = len(text)
	}
	before := text[:caret]
	at := strings.LastIndexByte(before, '@')
	if at < 0 {
		return "", 0, false
	}
	if at > 0 {
		r, _ := utf8.DecodeLastRuneInString(before[:at])
		if shared.NickRune(r) {
			return "", 0, false
		}
	}
	q := before[at+1:]
	for _, r := range q {
		if !shared.NickRune(r) {
			return "", 0, false
		}
	}
	return q, at, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// suggest fills the mention suggestions for the box's text at the caret.
func (c *Composer) suggest(el app.Value) {
	c.mentions = nil
	q, start, ok := mentionQuery(el, c.text)
	if !ok {
		return
	}
	v, found := c.Env.Engine.Conversation(c.ConvID)
	if !found {
		return
	}
	me := c.Env.Engine.State().Me.ID
	lq := strings.ToLower(q)
	for _, m := range v.Members {
		if m.UserID != me && strings.HasPrefix(strings.ToLower(m.Nickname), lq) {
			c.mentions = append(c.mentions, m.Nickname)
		}
	}
	slices.SortFunc(c.mentions, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	if len(c.mentions) > mentionMax {
		c.mentions = c.mentions[:mentionMax]
	}
	c.mentionStart, c.mentionSel = start, 0
}

// pickMention replaces the @word at the caret with the chosen nickname.
func (c *Composer) pickMention(i int) {
	if i < 0 || i >= len(c.mentions) {
		return
	}
	el := app.Window().GetElementByID("composer")
	if !el.Truthy() {
		return
	}
	text := el.Get("value").String()
	q, start, ok := mentionQuery(el, text)
	if !ok {
		c.mentions = nil
		return
	}
	ins := "@" + c.mentions[i] + " "
	out := text[:start] + ins + text[start+1+len(q):]
	c.mentions = nil
	c.setBox(out)
	pos := start + len(ins)
	el.Call("setSelectionRange", pos, pos)
	c.syncActive()
}

// syncActive points the textarea's aria-activedescendant at the chosen
// suggestion, or removes it. It is set on the DOM directly: a render
// cannot drop an attribute from the textarea without replacing it.
func (c *Composer) syncActive() {
	el := app.Window().GetElementByID("composer")
	if !el.Truthy() {
		return
	}
	if len(c.mentions) == 0 {
		el.Call("removeAttribute", "aria-activedescendant")
		return
	}
	el.Call("setAttribute", "aria-activedescendant", "mention-opt-"+itoa(int64(c.mentionSel)))
}

// mentionKey handles the suggestion keys; true when it used the key.
func (c *Composer) mentionKey(key string) bool {
	if len(c.mentions) == 0 {
		return false
	}
	defer c.syncActive()
	switch key {
	case "ArrowDown":
		c.mentionSel = (c.mentionSel + 1) % len(c.mentions)
	case "ArrowUp":
		c.mentionSel = (c.mentionSel + len(c.mentions) - 1) % len(c.mentions)
	case "Enter", "Tab":
		c.pickMention(c.mentionSel)
	case "Escape":
		c.mentions = nil
	default:
		return false
	}
	return true
}

// guardKey is the composer's synchronous key guard: Enter always (it sends
// or picks), and the suggestion keys while suggestions show.
func (c *Composer) guardKey(e app.Value) bool {
	if isSendKey(e) {
		return true
	}
	if len(c.mentions) == 0 || e.Get("isComposing").Truthy() {
		return false
	}
	switch e.Get("key").String() {
	case "ArrowUp", "ArrowDown", "Tab", "Escape":
		return true
	}
	return false
}

// mentionList is the listbox of suggestions; always present (see modeBar).
func (c *Composer) mentionList() app.UI {
	items := make([]app.UI, 0, len(c.mentions))
	for i, n := range c.mentions {
		i := i
		items = append(items, app.Li().ID("mention-opt-"+itoa(int64(i))).Class("mention-opt", when(i == c.mentionSel, "is-active")).
			Role("option").Aria("selected", i == c.mentionSel).
			OnMouseDown(func(ctx app.Context, e app.Event) { e.PreventDefault(); c.pickMention(i) }, app.EventScope(n)).
			Body(avatar(n, n, "avatar-xs"), app.Span().Text("@"+n)))
	}
	return app.Ul().ID("mention-list").Class("mention-list", when(len(items) > 0, "is-open")).Role("listbox").
		Aria("label", "People to mention").Body(items...)
}
