package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/wasm/client"
)

// StorageCard shows what this device keeps for offline use (the retention
// policy) and how much room it takes, from the browser's estimate.
type StorageCard struct {
	app.Compo
	Env *Env

	usage, quota int64
	err          string
	known        bool
}

// OnMount asks the browser for its estimate.
func (c *StorageCard) OnMount(ctx app.Context) {
	if c.Env.StorageEstimate == nil {
		return
	}
	est := c.Env.StorageEstimate
	ctx.Async(func() {
		usage, quota, err := est()
		ctx.Dispatch(func(ctx app.Context) {
			c.usage, c.quota, c.known = usage, quota, err == nil
			if err != nil {
				c.err = "This browser does not say how much room Natter takes."
			}
		})
	})
}

// Render draws the card.
func (c *StorageCard) Render() app.UI {
	r := client.DefaultRetention
	line := "Checking…"
	switch {
	case c.err != "":
		line = c.err
	case c.Env.StorageEstimate == nil:
		line = "This browser does not say how much room Natter takes."
	case c.known && c.quota > 0:
		line = fmt.Sprintf("Natter uses about %s of the %s this browser allows it.", humanBytes(c.usage), humanBytes(c.quota))
	case c.known:
		line = fmt.Sprintf("Natter uses about %s.", humanBytes(c.usage))
	}
	return app.Div().ID("storage-card").Class("card").Body(
		app.H2().Class("card-title").Text("On this device"),
		app.P().Class("muted").Text(fmt.Sprintf(
			"For offline reading and search, this device keeps every message of the last %d days and at least the newest %s of each conversation; older ones are fetched when you scroll back.",
			r.Days, thousands(r.Min))),
		app.P().ID("storage-estimate").Role("status").Text(line),
	)
}

// humanBytes words a size in bytes for people.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	f, units := float64(n)/unit, []string{"KB", "MB", "GB", "TB"}
	i := 0
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	if f < 10 {
		return fmt.Sprintf("%.1f %s", f, units[i])
	}
	return fmt.Sprintf("%.0f %s", f, units[i])
}
