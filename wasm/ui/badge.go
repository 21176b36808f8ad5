package ui

import "natter/wasm/client"

// BadgeCount is the unread total the tab title and the app icon's badge
// show: unread messages of every conversation not muted. A muted
// conversation still shows its own count in the list.
func BadgeCount(convs []client.ConvView) int64 {
	var n int64
	for _, c := range convs {
		if c.MutedUntil == nil {
			n += c.Unread
		}
	}
	return n
}
