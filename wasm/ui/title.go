package ui

import (
	"strings"

	"natter/shared"
)

// Title is a conversation's name as the signed-in user should read it: the
// title someone gave it, or else the names of the other members (the
// server's derived title lists everyone, including the reader). main uses
// it for notifications too, so they match the screen.
func Title(c shared.Conversation, meID int64) string {
	if c.Named || meID == 0 {
		return c.Title
	}
	names := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		if m.UserID != meID {
			names = append(names, m.Nickname)
		}
	}
	if len(names) == 0 {
		return c.Title
	}
	return strings.Join(names, ", ")
}
