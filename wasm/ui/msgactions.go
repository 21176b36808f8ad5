package ui

import (
	"context"
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// What a person can do with a message besides reading it: a menu (reply,
// react, edit, delete, copy, earlier versions), the reactions under it,
// and the quote of the message a reply answers. The engine does the work;
// this file only renders and fires.

// msgExtras is the list's state for these: which message has its menu or
// picker open, whose reaction names are shown, the open edit history.
type msgExtras struct {
	menu     string // rowKey of the message whose menu is open
	picker   bool   // the full emoji picker is open in that menu
	who      string // rowKey + emoji whose reactors are listed (long press)
	histKey  string // rowKey whose earlier versions are shown
	hist     []shared.Version
	histNote string
	err      string // the last refusal, shown in the open menu
}

// actionCompose asks the composer to reply to or edit a message.
const actionCompose = "natter.compose"

// composeIntent is the value of actionCompose.
type composeIntent struct {
	Edit     bool // edit it; otherwise reply to it
	Seq      int64
	ActionID string
	Sender   string
	Body     string
}

// rowKey names a message row whether or not it has a seq yet.
func rowKey(m client.MsgView) string {
	if m.Seq > 0 {
		return itoa(m.Seq)
	}
	return "a:" + m.ActionID
}

// meNick is the reader's nickname, for mentions of them.
func (c *MessageList) meNick() string {
	for _, m := range c.Members {
		if m.UserID == c.MeID {
			return m.Nickname
		}
	}
	return ""
}

func (c *MessageList) amOwner() bool {
	for _, m := range c.Members {
		if m.UserID == c.MeID {
			return m.Owner
		}
	}
	return false
}

// msgBody renders the body of a message that is not deleted: its quote,
// then the formatted text.
func (c *MessageList) msgBody(m client.MsgView) []app.UI {
	var out []app.UI
	if q := m.ReplyTo; q != nil {
		line, who := PlainText(ParseMarkup(q.Line)), c.senderName(q.SenderID, q.Sender)
		if q.Deleted {
			line = "deleted message"
		}
		if who == "" {
			who = "Message"
		}
		seq, conv := q.Seq, c.ConvID
		// The name is the visible text after a hidden "Go to…": an
		// aria-label of its own would not contain the text as shown, which
		// speech input users say to press it.
		out = append(out, app.Button().Type("button").Class("reply-quote", when(q.Deleted, "is-deleted")).
			OnClick(func(ctx app.Context, e app.Event) { jumpToMessage(ctx, conv, seq) }, app.EventScope("q", rowKey(m))).
			Body(app.Span().Class("visually-hidden").Text("Go to the message replied to:"),
				app.Span().Class("reply-quote-who").Text(who), app.Span().Class("reply-quote-line").Text(line)))
	}
	return append(out, markupNodes(m.Body, c.meNick())...)
}

// edited is the "edited" mark: the time in its title, and a click shows
// the earlier versions (asked from the server).
func (c *MessageList) edited(m client.MsgView) app.UI {
	if m.EditedAt == nil || m.DeletedAt != nil {
		return nil
	}
	key, seq := rowKey(m), m.Seq
	label := "edited " + clock(*m.EditedAt)
	if m.Change == client.ChangeEdit {
		label = "edit queued"
	}
	return app.Button().Type("button").Class("msg-edited").Title("Edited %s. Show earlier versions", fullTime(*m.EditedAt)).
		Aria("expanded", c.x.histKey == key).
		OnClick(func(ctx app.Context, e app.Event) { c.toggleHistory(ctx, key, seq) }, app.EventScope("hist", key)).
		Text(label)
}

// toggleHistory opens or closes a message's earlier versions.
func (c *MessageList) toggleHistory(ctx app.Context, key string, seq int64) {
	if c.x.histKey == key || seq == 0 {
		c.x.histKey, c.x.hist, c.x.histNote = "", nil, ""
		return
	}
	c.x.histKey, c.x.hist, c.x.histNote = key, nil, "Asking the server…"
	eng, conv := c.Env.Engine, c.ConvID
	self := c.dispatcher(ctx)
	ctx.Async(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		vs, err := eng.EditHistory(cctx, conv, seq)
		self.Dispatch(func(ctx app.Context) {
			if c.x.histKey != key {
				return
			}
			c.x.hist, c.x.histNote = vs, ""
			switch {
			case errors.Is(err, client.ErrOffline):
				c.x.histNote = "Earlier versions can be seen once you are back online."
			case err != nil:
				c.x.histNote = "Can't show them right now: " + err.Error()
			case len(vs) == 0:
				c.x.histNote = "No earlier versions."
			}
		})
	})
}

// history lists the earlier versions of the open message, as raw text.
func (c *MessageList) history(m client.MsgView) app.UI {
	if c.x.histKey != rowKey(m) {
		return nil
	}
	items := make([]app.UI, 0, len(c.x.hist))
	for _, v := range c.x.hist {
		items = append(items, app.Li().Body(
			app.Time().Class("hist-when").DateTime(v.ReplacedAt.UTC().Format(time.RFC3339)).Text("until "+clock(v.ReplacedAt)),
			app.Div().Class("hist-body").Text(v.Body)))
	}
	return app.Div().Class("edit-history").Role("status").Body(
		app.Span().Class("seen-details-title").Text("Earlier versions"),
		app.If(c.x.histNote != "", func() app.UI { return app.P().Class("seen-details-note").Text(c.x.histNote) }),
		app.Ol().Class("hist-list").Body(items...))
}

// reactions draws the reaction chips: emoji and count, the people in the
// title (hover) and on a long press (contextmenu), own ones marked; a
// click toggles one's own.
func (c *MessageList) reactions(m client.MsgView) app.UI {
	if len(m.Reactions) == 0 || m.DeletedAt != nil {
		return nil
	}
	key := rowKey(m)
	chips := make([]app.UI, 0, len(m.Reactions)+1)
	var who []string
	for _, r := range m.Reactions {
		names := make([]string, 0, len(r.UserIDs))
		mine := false
		for _, id := range r.UserIDs {
			if id == c.MeID {
				mine = true
				names = append(names, "you")
				continue
			}
			names = append(names, c.senderName(id, "someone"))
		}
		emoji, on := r.Emoji, !mine
		if c.x.who == key+r.Emoji {
			who = names
		}
		chips = append(chips, app.Button().Type("button").Class("reaction", when(mine, "mine")).
			Title("%s", r.Emoji+" "+joinNames(names)).
			Aria("pressed", mine).Aria("label", r.Emoji+" "+itoa(int64(len(names)))+": "+joinNames(names)).
			// The scope names what the handler captured: go-app keeps a
			// handler whose scope is unchanged, so a chip that became
			// one's own would otherwise go on adding instead of taking back.
			OnClick(func(ctx app.Context, e app.Event) { c.react(m, emoji, on) }, app.EventScope("r", key+emoji, on)).
			On("contextmenu", func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				if c.x.who == key+emoji {
					c.x.who = ""
				} else {
					c.x.who = key + emoji
				}
			}, app.EventScope("rw", key+emoji)).
			Body(app.Span().Class("reaction-emoji").Text(r.Emoji), app.Span().Class("reaction-count").Text(itoa(int64(len(r.UserIDs))))))
	}
	return app.Div().Class("reactions").Body(
		app.Div().Class("reaction-chips").Body(chips...),
		app.If(len(who) > 0, func() app.UI { return app.P().Class("reaction-who").Role("status").Text(joinNames(who)) }),
	)
}

// react sets one of the reader's reactions on a message.
func (c *MessageList) react(m client.MsgView, emoji string, on bool) {
	if err := c.Env.Engine.React(c.ConvID, m.Seq, m.ActionID, emoji, on); err != nil {
		c.x.err = refusal(err)
		return
	}
	c.x.err = ""
}

// hasReacted reports whether the reader reacted to m with emoji.
func (c *MessageList) hasReacted(m client.MsgView, emoji string) bool {
	for _, r := range m.Reactions {
		if r.Emoji == emoji {
			for _, id := range r.UserIDs {
				if id == c.MeID {
					return true
				}
			}
		}
	}
	return false
}

// menuButton opens the message's menu.
func (c *MessageList) menuButton(m client.MsgView) app.UI {
	if m.Kind == shared.KindSystem || (m.DeletedAt != nil && m.Change == "") {
		return nil
	}
	key := rowKey(m)
	// A disclosure (aria-expanded), not an ARIA menu: the panel holds
	// ordinary buttons reached with Tab.
	return app.Button().Type("button").Class("msg-menu-btn").Aria("label", "Message actions").
		Aria("expanded", c.x.menu == key).Title("Reply, react, edit…").
		OnClick(func(ctx app.Context, e app.Event) {
			if c.x.menu == key {
				c.x.menu = ""
			} else {
				c.x.menu, c.x.picker, c.x.err = key, false, ""
			}
		}, app.EventScope("menu", key)).
		Body(icon("more"))
}

// menu is the open message's menu: the six quick reactions (and the
// picker), then reply, edit, delete, copy.
func (c *MessageList) menu(m client.MsgView, own bool) app.UI {
	key := rowKey(m)
	if c.x.menu != key {
		return nil
	}
	deleted := m.DeletedAt != nil
	set := shared.QuickReactions
	if c.x.picker {
		set = shared.Emojis
	}
	emojis := make([]app.UI, 0, len(set)+1)
	for _, em := range set {
		emoji, on := em, !c.hasReacted(m, em)
		emojis = append(emojis, app.Button().Type("button").Class("emoji-btn", when(!on, "mine")).
			Aria("label", "React "+emoji).Aria("pressed", !on).
			OnClick(func(ctx app.Context, e app.Event) { c.react(m, emoji, on); c.x.menu = "" }, app.EventScope("e", key+emoji, on)).
			Text(emoji))
	}
	if !c.x.picker {
		emojis = append(emojis, app.Button().Type("button").Class("emoji-btn", "emoji-more").Aria("label", "More reactions").
			OnClick(func(ctx app.Context, e app.Event) { c.x.picker = true }, app.EventScope("pick", key)).Body(icon("smile")))
	}
	// The items act on m as drawn: their scope names its text, so an edit
	// arriving while the menu is open gives them the new one (go-app keeps
	// a handler whose scope is unchanged). Only the open row draws a menu.
	item := func(id, label string, fn func(ctx app.Context)) app.UI {
		return app.Button().Type("button").Class("menu-item", "menu-"+id).
			OnClick(func(ctx app.Context, e app.Event) { fn(ctx) }, app.EventScope(id, key, m.Body)).Text(label)
	}
	sender := c.senderName(m.SenderID, m.Sender)
	var items []app.UI
	conv, _ := c.Env.Engine.Conversation(c.ConvID)
	if !deleted && conv.ClosedAt == nil { // the composer is gone once it is closed
		items = append(items, item("reply", "Reply", func(ctx app.Context) {
			c.x.menu = ""
			ctx.NewActionWithValue(actionCompose, composeIntent{Seq: m.Seq, ActionID: m.ActionID, Sender: sender, Body: m.Body})
		}))
		if own {
			items = append(items, item("edit", "Edit", func(ctx app.Context) {
				c.x.menu = ""
				ctx.NewActionWithValue(actionCompose, composeIntent{Edit: true, Seq: m.Seq, ActionID: m.ActionID, Body: m.Body})
			}))
		}
	}
	if !deleted {
		items = append(items, item("copy", "Copy text", func(ctx app.Context) {
			c.x.menu = ""
			copyText(m.Body)
		}))
	}
	if !deleted && (own || c.amOwner()) {
		items = append(items, item("delete", "Delete", func(ctx app.Context) {
			c.x.menu = ""
			if !app.Window().Call("confirm", "Delete this message for everyone?").Bool() {
				return
			}
			if err := c.Env.Engine.Delete(c.ConvID, m.Seq, m.ActionID); err != nil {
				c.x.err = refusal(err)
			}
		}))
	}
	return app.Div().Class("msg-menu").Role("group").Aria("label", "Message actions").Body(
		app.Div().Class("emoji-row", when(c.x.picker, "is-picker")).Body(emojis...),
		app.Div().Class("menu-items").Body(items...),
		app.If(c.x.err != "", func() app.UI { return app.P().Class("menu-error").Role("alert").Text(c.x.err) }),
	)
}

// refusal words an engine refusal for the menu.
func refusal(err error) string {
	var se *shared.Error
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// copyText puts a message's raw text on the clipboard.
func copyText(s string) {
	if cb := app.Window().Get("navigator").Get("clipboard"); cb.Truthy() {
		cb.Call("writeText", s)
	}
}

// jumpToMessage shows the message seq of a conversation and highlights it.
// A message in the DOM is scrolled to. One that is not (older history not
// loaded, or outside the list's window) is opened through its permalink,
// /c/<conversation id>/m/<seq>, which the message list answers by loading
// the history around it.
func jumpToMessage(ctx app.Context, convID string, seq int64) {
	if el := app.Window().GetElementByID("msg-" + itoa(seq)); el.Truthy() {
		el.Call("scrollIntoView", map[string]any{"block": "center", "behavior": "smooth"})
		list := el.Get("classList")
		list.Call("remove", "flash")
		el.Get("offsetWidth") // restart the animation
		list.Call("add", "flash")
		return
	}
	ctx.Navigate(shared.MessagePath(convID, seq))
}
