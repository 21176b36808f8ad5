package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestTextAssetsArePrecompressed asks for every text file of the PWA with
// each encoding and checks that the compressed bodies decode to the plain
// one: a broken encoder would serve a page no browser can read.
func TestTextAssetsArePrecompressed(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = mustWebDir(t, []byte("\x00asm wasm")) })
	paths := []string{"/app.js", "/wasm_exec.js", "/manifest.webmanifest", "/manifest.json", "/app-worker.js", "/web/app.css", "/web/fonts/emoji.css",
		shared.RouteSignIn, shared.RouteHome, shared.ConversationPath(shared.NewUUIDv7())}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			res, plain := get(t, srv.URL+p, http.Header{"Accept-Encoding": {"identity"}})
			if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" || len(plain) == 0 {
				t.Fatalf("identity: status %d, encoding %q, %d bytes", res.StatusCode, res.Header.Get("Content-Encoding"), len(plain))
			}
			for _, enc := range []struct {
				accept, want string
				decode       func(io.Reader) io.Reader
			}{
				{"gzip, deflate, br, zstd", "br", func(r io.Reader) io.Reader { return brotli.NewReader(r) }},
				{"gzip", "gzip", func(r io.Reader) io.Reader { zr, _ := gzip.NewReader(r); return zr }},
			} {
				res, body := get(t, srv.URL+p, http.Header{"Accept-Encoding": {enc.accept}})
				if got := res.Header.Get("Content-Encoding"); got != enc.want {
					t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want %q", enc.accept, got, enc.want)
				}
				if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("%s: no Vary: Accept-Encoding", enc.want)
				}
				decoded, err := io.ReadAll(enc.decode(bytes.NewReader(body)))
				if err != nil || !bytes.Equal(decoded, plain) {
					t.Fatalf("%s body does not decode to the plain one (err %v)", enc.want, err)
				}
				if len(plain) > 1000 && len(body) >= len(plain) {
					t.Errorf("%s: %d bytes for %d plain", enc.want, len(body), len(plain))
				}
			}
		})
	}
}

// TestHashedURLsAreCachedForAYear follows the page's links: a URL carrying
// the file's content hash may be cached for a year, any other must be
// revalidated, and the service worker's script never is cached long.
func TestHashedURLsAreCachedForAYear(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = mustWebDir(t, []byte("\x00asm wasm")) })
	_, page := get(t, srv.URL+shared.RouteSignIn, nil)
	links := regexp.MustCompile(`(?:src|href)="(/[^"]*\?v=[0-9a-f]+)"`).FindAllStringSubmatch(string(page), -1)
	var hashed []string
	for _, l := range links {
		hashed = append(hashed, l[1])
	}
	if len(hashed) != 3 { // the preloaded wasm, wasm_exec.js, app.js
		t.Fatalf("hashed links %v in %s", hashed, page)
	}
	for _, u := range hashed {
		res, _ := get(t, srv.URL+u, nil)
		if cc := res.Header.Get("Cache-Control"); res.StatusCode != 200 || !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: status %d, Cache-Control %q", u, res.StatusCode, cc)
		}
		plain, _, _ := strings.Cut(u, "?")
		for _, other := range []string{plain, plain + "?v=0123456789abcdef"} {
			res, _ := get(t, srv.URL+other, nil)
			if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q, want no-cache", other, cc)
			}
			etag := res.Header.Get("ETag")
			if res, _ := get(t, srv.URL+other, http.Header{"If-None-Match": {etag}}); etag == "" || res.StatusCode != http.StatusNotModified {
				t.Errorf("%s: If-None-Match %s answered %d", other, etag, res.StatusCode)
			}
		}
	}
	for _, p := range []string{"/app-worker.js", shared.RouteSignIn} {
		res, _ := get(t, srv.URL+p+"?v=x", nil)
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", p, cc)
		}
	}
}

// TestPagePaintsWithoutWaiting checks what lets the first screen paint
// before the wasm runs: the skeleton of the route's screen, all CSS inline
// (emoji font URLs made absolute, since the page is not in /web/), no
// style sheet link to wait for, the wasm preloaded, and a loader that hands
// the fetch's own response to instantiateStreaming.
func TestPagePaintsWithoutWaiting(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = mustWebDir(t, []byte("\x00asm wasm")) })
	for path, want := range map[string][]string{
		shared.RouteSignIn:                          {`data-page="signin"`, `class="auth-card"`, `<label for="sk-signin-login"`, `id="sk-signin-login"`, "readonly"},
		shared.RouteSignUp:                          {`data-page="signup"`, `class="auth-card"`, `id="sk-signup-nickname-hint"`},
		shared.RouteHome:                            {`data-page="home"`, `class="sidebar"`, `class="conv-list"`, `class="pane"`},
		shared.ConversationPath(shared.NewUUIDv7()): {`data-page="conv"`, `class="sidebar"`},
	} {
		_, page := get(t, srv.URL+path, nil)
		want = append(want, `<style>`, ".auth-card { padding: 24px; }", "url(/web/fonts/noto-emoji-0-400-normal.woff2)",
			`rel="preload" href="/web/app.wasm?v=`, `as="fetch" crossorigin`, `id="app-wasm-loader"`)
		for _, w := range want {
			if !bytes.Contains(page, []byte(w)) {
				t.Errorf("%s lacks %s", path, w)
			}
		}
		for _, bad := range []string{`rel="stylesheet"`, "@import", `id="signin-login"`, `id="conv-list"`, `id="conn-status"`, `id="main"`} {
			if bytes.Contains(page, []byte(bad)) {
				t.Errorf("%s has %s: the first paint would wait for it, or code would find the skeleton for the app", path, bad)
			}
		}
	}
	_, appJS := get(t, srv.URL+"/app.js", nil)
	for _, w := range []string{"WebAssembly.instantiateStreaming(response, go.importObject)", "natterKeepForOffline", "goappInitServiceWorker", "goappGetenv"} {
		if !bytes.Contains(appJS, []byte(w)) {
			t.Errorf("app.js lacks %s", w)
		}
	}
	if bytes.Contains(appJS, []byte("new ReadableStream")) || bytes.Contains(appJS, []byte("fetchWithProgress")) {
		t.Errorf("app.js still routes the wasm through a JS stream")
	}
	if !bytes.Contains(appJS, []byte("\nnatterRegisterLater(goappInitServiceWorker);\n")) || bytes.Contains(appJS, []byte("\ngoappInitServiceWorker();\n")) {
		t.Errorf("app.js registers the service worker as it runs, not once the app has started")
	}
}
