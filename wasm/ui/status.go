package ui

import (
	"fmt"
	"math"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/wasm/client"
)

// connLabel is what the connection indicator says, and whether it offers
// "Retry now".
func connLabel(st client.Status, now time.Time) (label, countdown string, retry bool) {
	switch st.State {
	case client.StateConnected:
		if !st.CaughtUp {
			return "Syncing…", "", false
		}
		return "Connected", "", false
	case client.StateReconnecting:
		if wait := st.NextRetry.Sub(now); wait > 0 {
			return "Reconnecting", fmt.Sprintf("in %ds", int(math.Ceil(wait.Seconds()))), true
		}
		return "Reconnecting…", "", true
	case client.StateOffline:
		return "Offline — changes queued", "", true
	case client.StateSignedOut:
		return "Signed out", "", false
	case client.StateUpdateRequired:
		return "Update required", "", false
	default:
		return "Connecting…", "", false
	}
}

// connStatus is the connection indicator every page shows: a quiet dot when
// all is well, a labelled pill with a countdown and "Retry now" when not.
func connStatus(st client.Status, now time.Time, retry app.EventHandler) app.UI {
	label, countdown, canRetry := connLabel(st, now)
	state := string(st.State)
	if state == "" {
		state = string(client.StateConnecting)
	}
	title := label
	if st.LastError != "" && st.State != client.StateConnected {
		title = label + ": " + st.LastError
	}
	return app.Div().ID("conn-status").Class("conn").DataSet("state", state).Title("%s", title).Body(
		app.Span().Class("conn-dot").Aria("hidden", "true"),
		app.Span().Class("conn-label").Role("status").Text(label),
		app.If(countdown != "", func() app.UI {
			return app.Span().Class("conn-countdown").Aria("hidden", "true").Text(countdown)
		}),
		app.If(canRetry, func() app.UI {
			return app.Button().ID("retry-now").Type("button").Class("conn-retry").Text("Retry now").OnClick(retry)
		}),
	)
}
