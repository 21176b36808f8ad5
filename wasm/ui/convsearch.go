package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// toggleSearch opens or closes the search over this conversation, under
// its header; the panel focuses its box when it opens.
func (c *ConversationPage) toggleSearch(ctx app.Context, e app.Event) {
	if c.searchOpen {
		c.closeSearch(ctx)
		return
	}
	c.searchOpen = true
}

// closeSearch closes the panel and gives the focus back to its button.
func (c *ConversationPage) closeSearch(ctx app.Context) {
	c.searchOpen = false
	focusID(ctx, "conv-search")
}
