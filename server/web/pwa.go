package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

//go:embed sw.js
var serviceWorker string

// staticAssets are the files of WebDir that the service worker precaches
// and the version hash covers, besides app.wasm.
var staticAssets = []string{"app.css", "icon.svg", "icon-192.png", "icon-512.png", "icon-maskable-512.png"}

// pwa serves the pages and text assets from front and everything else
// (icons, fonts, unknown paths) with go-app's Handler.
type pwa struct {
	*app.Handler
	front *front
	conv  func(http.ResponseWriter, *http.Request) bool // Server.conversationPage
}

// ServeHTTP serves a drawn conversation page, or from front, first.
func (p *pwa) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.conv != nil && p.conv(w, r) {
		return
	}
	if !p.front.serve(w, r) {
		p.Handler.ServeHTTP(w, r)
	}
}

// pwaHandler builds go-app's Handler on first use, so a server started
// before the wasm is built still serves the API.
func (s *Server) pwaHandler() http.Handler {
	s.pwaOnce.Do(func() {
		version, wasmLen := s.assetVersion()
		routes := append([]string{}, shared.PageRoutes...)
		routes = append(routes, conversationShell)
		cacheable := []string{}
		for _, a := range staticAssets {
			cacheable = append(cacheable, "/web/"+a)
		}
		h := &app.Handler{
			Name:            "Natter",
			ShortName:       "Natter",
			Title:           "Natter",
			Description:     "Natter: a messenger that never loses what you typed.",
			Lang:            "en",
			BackgroundColor: "#0f172a",
			ThemeColor:      "#4f46e5",
			Icon: app.Icon{
				Default:  "/web/icon-192.png",
				Large:    "/web/icon-512.png",
				SVG:      "/web/icon.svg",
				Maskable: "/web/icon-maskable-512.png",
			},
			CacheableResources:    append(cacheable, routes...),
			Version:               version,
			WasmContentLength:     wasmLen,
			ServiceWorkerTemplate: serviceWorker,
			Resources:             webDir{dir: s.cfg.WebDir},
		}
		s.pwa = &pwa{Handler: h, front: newFront(h, s.cfg.WebDir, s.log.Error), conv: s.conversationPage}
		s.log.Info("pwa ready", "version", version, "wasm_bytes", wasmLen)
	})
	return s.pwa
}

// assetVersion hashes the built assets. go-app answers If-None-Match with
// 304 for any path whose ETag is the version, and the service worker keys its
// cache by it, so it must change exactly when the files change: a start time
// would refetch everything after each restart, a constant would never refetch.
func (s *Server) assetVersion() (version, wasmLen string) {
	h := sha256.New()
	io.WriteString(h, serviceWorker)
	io.WriteString(h, frontFingerprint()) // the pages are cached by version too
	files := append([]string{"app.wasm", "fonts/emoji.css"}, staticAssets...)
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(s.cfg.WebDir, f))
		if err != nil {
			s.log.Warn("pwa: asset missing; run ./build.sh build", "file", f, "err", err)
			continue
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
		if f == "app.wasm" {
			wasmLen = strconv.Itoa(len(b))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], wasmLen
}

// serveWasm serves app.wasm precompressed: brotli or gzip when the browser
// accepts it and the build made them (go-app compresses nothing itself).
func (s *Server) serveWasm(w http.ResponseWriter, r *http.Request) {
	h := s.pwaHandler().(*pwa)
	etag := `"` + h.Version + `"`
	if r.URL.Query().Get("v") == h.Version {
		w.Header().Set("Cache-Control", immutable) // the page names it by its hash
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	name := filepath.Join(s.cfg.WebDir, "app.wasm")
	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(accept, enc.token) {
			continue
		}
		f, err := os.Open(name + enc.ext)
		if err != nil {
			continue
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			continue
		}
		w.Header().Set("Content-Encoding", enc.token)
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		if r.Method != http.MethodHead {
			io.Copy(w, f)
		}
		return
	}
	w.Header().Set("Content-Type", "application/wasm")
	http.ServeFile(w, r, name)
}

func acceptsEncoding(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), token) {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

// webDir serves /web/ from the configured directory wherever the process was
// started, and resolves resource paths to themselves (go-app's LocalDir
// prefixes them with the directory, which is only right when it is the
// working directory).
type webDir struct{ dir string }

// Resolve returns the location unchanged: assets are served from /web/.
func (d webDir) Resolve(location string) string {
	if location == "" {
		return "/"
	}
	return location
}

// ServeHTTP serves one file below the web directory; no listings.
func (d webDir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	http.StripPrefix("/web", http.FileServer(http.Dir(d.dir))).ServeHTTP(w, r)
}
