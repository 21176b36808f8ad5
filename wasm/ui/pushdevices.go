package ui

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// PushControl is Web Push for this device, wired by main to the browser.
// Each function waits on the browser or the network, so components call
// them inside ctx.Async.
type PushControl struct {
	// Enable asks for notification permission when needed and subscribes
	// this device; it returns the permission it ended with.
	Enable func() (string, error)
	// DisableHere unsubscribes this device and remembers that the person
	// turned it off, so it is not subscribed again at the next start.
	DisableHere func() error
}

// errBlocked is shown when the browser refuses notifications for good.
var errBlocked = errors.New("notifications are blocked for this site: allow them in the browser's site settings")

// PushDevices is the profile's "Notifications" card: the person's devices
// with push on, each with Turn off; Turn on for this device; and "hide
// previews".
type PushDevices struct {
	app.Compo
	Env *Env
	Me  shared.User

	list     shared.PushDevices
	loaded   bool
	loadedAs int64
	busy     string // "load", "on", "previews" or a device id being turned off
	off      bool   // the server has push turned off
	err      string
	done     string
}

// OnMount loads the list.
func (c *PushDevices) OnMount(ctx app.Context) { c.load(ctx, false) }

// OnUpdate loads the list when the user becomes known after mount.
func (c *PushDevices) OnUpdate(ctx app.Context) { c.load(ctx, false) }

func (c *PushDevices) load(ctx app.Context, again bool) {
	if c.Me.ID == 0 || c.Env == nil || (!again && c.loadedAs == c.Me.ID) {
		return
	}
	c.loadedAs = c.Me.ID
	if c.busy == "" {
		c.busy = "load"
	}
	ctx.Async(func() {
		ds, err := c.Env.API.PushDevices(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			if c.busy == "load" {
				c.busy = ""
			}
			var fe *client.FormError
			switch {
			case errors.As(err, &fe) && fe.Has(shared.CodeUnavailable):
				c.off = true // this server sends no push: say so, no alarm
				return
			case err != nil:
				c.err = "Couldn't load your devices: " + errorText(err)
				return
			}
			c.list, c.loaded, c.err = ds, true, ""
		})
	})
}

// run does one change off the UI goroutine and reloads the list after it.
func (c *PushDevices) run(ctx app.Context, busy, done string, fn func() error) {
	if c.busy != "" {
		return
	}
	c.busy, c.err, c.done = busy, "", ""
	ctx.Async(func() {
		err := fn()
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = ""
			if err != nil {
				c.err = errorText(err)
				return
			}
			c.done = done
			c.load(ctx, true)
		})
	})
}

func (c *PushDevices) turnOn(ctx app.Context, e app.Event) {
	if c.Env.Push == nil {
		return
	}
	c.run(ctx, "on", "Notifications are on for this device.", func() error {
		perm, err := c.Env.Push.Enable()
		if err == nil && perm == PermissionDenied {
			err = errBlocked
		}
		return err
	})
}

func (c *PushDevices) turnOff(d shared.PushDevice) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.run(ctx, itoa(d.ID), "Notifications are off for "+d.Device+".", func() error {
			if d.Current && c.Env.Push != nil {
				return c.Env.Push.DisableHere()
			}
			return c.Env.API.TurnOffPushDevice(ctx, d.ID)
		})
	}
}

func (c *PushDevices) previews(ctx app.Context, e app.Event) {
	hide := ctx.JSSrc().Get("checked").Bool()
	c.run(ctx, "previews", when(hide, "Notifications now say only “New message”.")+when(!hide, "Notifications now show a preview."), func() error {
		return c.Env.API.SetHidePreviews(ctx, hide)
	})
}

// Render draws the card.
func (c *PushDevices) Render() app.UI {
	here := false
	items := make([]app.UI, 0, len(c.list.Devices))
	for _, d := range c.list.Devices {
		here = here || d.Current
		name := d.Device
		if name == "" {
			name = "A browser"
		}
		busy := c.busy == itoa(d.ID)
		items = append(items, app.Li().Class("member", "push-device").DataSet("id", d.ID).Body(
			app.Div().Class("member-who").Body(
				icon("bell"),
				app.Span().Class("member-name").Text(name),
				app.If(d.Current, func() app.UI { return app.Span().Class("badge-you").Text("this device") }),
				app.Span().Class("muted", "push-since").Text("since "+d.CreatedAt.Local().Format("2 Jan 2006")),
			),
			app.Div().Class("member-actions").Body(
				app.Button().Type("button").Class("btn", "btn-small", "btn-secondary", "push-off").DataSet("id", d.ID).
					Aria("label", "Turn off notifications for "+name).Aria("busy", boolAttr(busy)).
					OnClick(c.turnOff(d), app.EventScope("push-off", d.ID)).
					Text(when(!busy, "Turn off")+when(busy, "Turning off…")),
			),
		))
	}
	status := c.done
	if status == "" && c.loaded && len(c.list.Devices) == 0 {
		status = "No device gets notifications while Natter is closed."
	}
	if c.off {
		return app.Div().ID("push-devices").Class("card").Body(
			app.H2().ID("push-heading").Class("card-title").Text("Notifications"),
			app.P().ID("push-status").Class("muted").Text("This server does not send notifications while Natter is closed; you are notified while it is open."),
		)
	}
	return app.Div().ID("push-devices").Class("card").Body(
		app.H2().ID("push-heading").Class("card-title").TabIndex(-1).Text("Notifications"),
		app.P().Class("muted").Text("These devices are notified of new messages even with every Natter tab closed."),
		formAlert("push-error", c.err),
		app.P().ID("push-status").Class("form-status").Role("status").Text(when(c.busy == "load" && !c.loaded, "Loading…")+status),
		app.Ul().ID("push-list").Class("member-list").Aria("labelledby", "push-heading").Body(items...),
		app.If(c.loaded && !here && c.Env.Push != nil, func() app.UI {
			return app.Button().ID("push-on").Type("button").Class("btn", "btn-secondary").
				Aria("busy", boolAttr(c.busy == "on")).OnClick(c.turnOn).
				Body(icon("bell"), app.Span().Text(when(c.busy != "on", "Turn on for this device")+when(c.busy == "on", "Turning on…")))
		}),
		app.Label().Class("check").For("push-hide-previews").Body(
			app.Input().ID("push-hide-previews").Type("checkbox").Checked(c.list.HidePreviews).
				Disabled(!c.loaded || c.busy == "previews").OnChange(c.previews),
			app.Span().Text("Hide previews: notifications say only “New message”"),
		),
	)
}
