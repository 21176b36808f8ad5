package web

import (
	"encoding/json"

	"natter/shared"
)

// go-app writes the web app manifest from its Handler's fields, which have
// no shortcuts or screenshots. withManifestExtras adds both to it: a "New
// conversation" shortcut on the installed app's icon, and the screenshots
// browsers show in their richer install dialog. front serves the result
// like every other text asset, precompressed (newFront).

// manifestExtras are the members added to go-app's manifest.
var manifestExtras = map[string]any{
	"id": "/",
	"shortcuts": []map[string]any{{
		"name":       "New conversation",
		"short_name": "New",
		"url":        shared.RouteNew,
		"icons":      []map[string]string{{"src": "/web/icon-192.png", "sizes": "192x192", "type": "image/png"}},
	}},
	"screenshots": []map[string]string{
		{"src": "/web/screenshot-wide.png", "sizes": "1280x800", "type": "image/png", "form_factor": "wide", "label": "Conversations and a chat on a desktop"},
		{"src": "/web/screenshot-narrow.png", "sizes": "360x740", "type": "image/png", "form_factor": "narrow", "label": "A conversation on a phone"},
	},
}

// withManifestExtras is go-app's manifest with manifestExtras added.
func withManifestExtras(goApp []byte, logf func(msg string, args ...any)) []byte {
	m := map[string]any{}
	if err := json.Unmarshal(goApp, &m); err != nil {
		logf("pwa: go-app's manifest is not JSON", "err", err)
	}
	for k, v := range manifestExtras {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}
