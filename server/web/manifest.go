package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"natter/shared"
)

// go-app writes the web app manifest from its Handler's fields, which have
// no shortcuts or screenshots. serveManifest serves go-app's manifest with
// both added: a "New conversation" shortcut on the installed app's icon,
// and the screenshots browsers show in their richer install dialog.

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

// manifest is built once from go-app's.
type manifest struct {
	once sync.Once
	body []byte
}

var builtManifest manifest

// serveManifest answers /manifest.webmanifest (and go-app's alias
// /manifest.json).
func (s *Server) serveManifest(w http.ResponseWriter, r *http.Request) {
	builtManifest.once.Do(func() {
		rec := &bufferWriter{header: http.Header{}}
		req, _ := http.NewRequest(http.MethodGet, "/manifest.webmanifest", nil)
		s.pwaHandler().ServeHTTP(rec, req)
		m := map[string]any{}
		if err := json.Unmarshal(rec.buf.Bytes(), &m); err != nil {
			s.log.Error("pwa: go-app's manifest is not JSON", "err", err)
		}
		for k, v := range manifestExtras {
			m[k] = v
		}
		builtManifest.body, _ = json.Marshal(m)
	})
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(builtManifest.body)
}

// bufferWriter collects a response in memory.
type bufferWriter struct {
	header http.Header
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferWriter) WriteHeader(int)             {}
