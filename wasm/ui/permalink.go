package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// permalink makes a message's time its link (/c/<id>/m/<seq>): opening it
// shows the message in context, highlighted, offline too when the message
// is on this device; the browser's own "Copy link" on it copies it. A
// message not confirmed yet has no seq and so no link.
func (c *MessageList) permalink(m client.MsgView, time app.UI) app.UI {
	if m.Seq <= 0 || c.ConvID == "" {
		return time
	}
	return app.A().Class("msg-permalink").Href(shared.MessagePath(c.ConvID, m.Seq)).
		Title("Link to this message").Body(time)
}
