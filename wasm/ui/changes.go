package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// failedChanges lists the queued changes the server refused, or that
// waited too long offline to be replayed (client.ExpiredMessage), each with
// Retry and Discard. Messages are left out: they show, with the same
// buttons, in their conversation.
func failedChanges(env *Env, st client.State) app.UI {
	var rows []app.UI
	for _, a := range st.Outbox {
		if a.State != client.MsgFailed || a.Type == shared.TypeMessageSend || a.Type == shared.TypeSeenMark {
			continue
		}
		reason := a.Error
		if reason == "" {
			reason = "The server refused it."
		}
		id := a.ID
		rows = append(rows, app.Div().Class("banner", "banner-warning").Role("alert").DataSet("action-id", id).DataSet("type", a.Type).Body(
			icon("alert"),
			app.Span().Class("banner-text").Body(
				app.Strong().Text(describeChange(a, st.Conversations)+": "),
				app.Text(reason),
			),
			app.Button().Type("button").Class("btn", "btn-small", "btn-on-banner", "retry").DataSet("action-id", id).Text("Retry").
				OnClick(func(ctx app.Context, e app.Event) { env.Engine.Retry(id) }, app.EventScope("retry", id)),
			app.Button().Type("button").Class("btn", "btn-small", "btn-ghost", "discard").DataSet("action-id", id).Text("Discard").
				OnClick(func(ctx app.Context, e app.Event) { env.Engine.Discard(id) }, app.EventScope("discard", id)),
		))
	}
	if len(rows) == 0 {
		return nil
	}
	return app.Div().ID("failed-changes").Body(rows...)
}

// describeChange names a queued change for the user.
func describeChange(a client.ActionView, convs []client.ConvView) string {
	where := "a conversation"
	for _, c := range convs {
		if c.ID == a.ConvID {
			where = "“" + c.Title + "”"
		}
	}
	switch a.Type {
	case shared.TypeConversationCreate:
		return "Starting " + where
	case shared.TypeConversationRename:
		if a.Summary == "" {
			return "Resetting the title of " + where
		}
		return "Renaming " + where + " to “" + a.Summary + "”"
	case shared.TypeConversationClose:
		return "Closing " + where
	case shared.TypeConversationLeave:
		return "Leaving " + where
	case shared.TypeMemberAdd:
		return "Adding a member to " + where
	case shared.TypeMemberRemove:
		return "Removing a member from " + where
	case shared.TypeOwnerTransfer:
		return "Handing " + where + " to another owner"
	}
	return "A change to " + where
}
