package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// unreadToggle switches the sidebar between every conversation and only
// those with unread messages (the open one stays, so it does not vanish
// as it is read).
func (s *Shell) unreadToggle() app.UI {
	return app.Div().Class("side-filter").Body(
		app.Button().ID("unread-only").Type("button").Class("chip-toggle", when(s.unreadOnly, "is-on")).
			Aria("pressed", boolAttr(s.unreadOnly)).
			OnClick(func(ctx app.Context, e app.Event) { s.unreadOnly = !s.unreadOnly }).
			Text("Unread only"),
	)
}

// emptyListText says why the list is empty.
func emptyListText(unreadOnly bool, total int) string {
	if unreadOnly && total > 0 {
		return "Nothing unread."
	}
	return "No conversations yet."
}
