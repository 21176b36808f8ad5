package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

// iconBellOff is the mute menu's icon while muted.
const iconBellOff = `<path d="M6 16V11a6 6 0 019.2-5.1M18 11v5l1.5 2H8"/><path d="M10 20.5a2 2 0 004 0"/><path d="M4 4l16 16"/>`

func init() { iconPaths["bell-off"] = iconBellOff }

// MuteMenu is the conversation header's Mute button and its menu: for an
// hour, a day, or until turned back on; and Unmute while muted. Muting is
// an action through the outbox (Engine.Mute), so it works offline and
// reaches the person's other devices.
type MuteMenu struct {
	app.Compo
	Env        *Env
	ConvID     string
	MutedUntil *time.Time

	open bool
	err  string
}

func (c *MuteMenu) toggle(ctx app.Context, e app.Event) {
	c.open, c.err = !c.open, ""
	if c.open {
		focusID(ctx, "mute-1h")
	}
}

func (c *MuteMenu) choose(d time.Duration, forever bool) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		var until *time.Time
		if d > 0 {
			u := time.Now().Add(d)
			until = &u
		}
		if err := c.Env.Engine.Mute(c.ConvID, until, forever); err != nil {
			c.err = errorText(err)
			return
		}
		c.open = false
		focusNow("mute-button")
	}
}

// muteLabel says how long the mute lasts, for the button and the list.
func muteLabel(until *time.Time, now time.Time) string {
	switch {
	case until == nil:
		return ""
	case !until.Before(shared.MuteForever):
		return "Muted"
	case until.Sub(now) < 24*time.Hour && until.YearDay() == now.YearDay():
		return "Muted until " + until.Local().Format("15:04")
	default:
		return "Muted until " + until.Local().Format("Mon 15:04")
	}
}

// Render draws the button and, when open, the menu.
func (c *MuteMenu) Render() app.UI {
	muted := c.MutedUntil != nil
	label := "Mute"
	if muted {
		label = muteLabel(c.MutedUntil, time.Now())
	}
	item := func(id, text string, h app.EventHandler) app.UI {
		return app.Li().Role("none").Body(
			app.Button().ID(id).Type("button").Role("menuitem").Class("menu-item").OnClick(h).Text(text))
	}
	return app.Div().Class("mute-menu").Body(
		app.Button().ID("mute-button").Type("button").Class("btn", "btn-ghost", "btn-mute", when(muted, "is-muted")).
			Aria("haspopup", "menu").Aria("expanded", boolAttr(c.open)).Aria("controls", "mute-options").
			Title("%s", when(!muted, "Mute notifications of this conversation")+when(muted, label)).
			OnClick(c.toggle).Body(icon(when(!muted, "bell")+when(muted, "bell-off")), app.Span().Class("btn-label").Text(label)),
		app.If(c.open, func() app.UI {
			return app.Ul().ID("mute-options").Class("menu").Role("menu").Aria("label", "Mute notifications").Body(
				item("mute-1h", "For 1 hour", c.choose(shared.MuteHour, false)),
				item("mute-1d", "For 1 day", c.choose(shared.MuteDay, false)),
				item("mute-forever", "Until I turn it back on", c.choose(0, true)),
				app.If(muted, func() app.UI { return item("unmute", "Unmute", c.choose(0, false)) }),
				app.Li().Role("none").Class("menu-note muted").Text("Muted conversations still show unread messages; only a mention of you notifies."),
			)
		}),
		app.If(c.err != "", func() app.UI { return app.P().Class("form-error").Role("alert").Text(c.err) }),
	)
}
