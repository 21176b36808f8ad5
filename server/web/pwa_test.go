package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// mustWebDir makes a web directory with stand-in assets, so these tests
// check how the server serves files, whatever the real build holds.
func mustWebDir(t *testing.T, wasm []byte) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app.wasm", wasm)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(wasm)
	zw.Close()
	write("app.wasm.gz", gz.Bytes())
	write("app.wasm.br", []byte("brotli stand-in"))
	for _, f := range []string{"app.css", "icon.svg", "icon-192.png", "icon-512.png", "icon-maskable-512.png"} {
		write(f, []byte(f))
	}
	write("app.css", []byte(`@import url("fonts/emoji.css");`+"\n.auth-card { padding: 24px; }\n"))
	os.Mkdir(filepath.Join(dir, "fonts"), 0o755)
	write("fonts/emoji.css", []byte("@font-face { font-family: 'Natter Emoji'; src: local('Noto Emoji'), url(noto-emoji-0-400-normal.woff2) format('woff2'); }\n"))
	return dir
}

func get(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestEveryRouteServesTheShell(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = mustWebDir(t, []byte("\x00asm wasm")) })
	paths := append([]string{}, shared.PageRoutes...)
	paths = append(paths, shared.ConversationPath(shared.NewUUIDv7()), shared.MessagePath(shared.NewUUIDv7(), 42))
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			res, body := get(t, srv.URL+p, nil)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, want := range []string{`src="/app.js?v=`, `src="/wasm_exec.js?v=`, ".auth-card { padding: 24px; }", "manifest.webmanifest", `data-skeleton="true"`} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("page lacks %s", want)
				}
			}
			h := res.Header
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "'wasm-unsafe-eval'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval'") && !strings.Contains(csp, "wasm-unsafe-eval") {
				t.Errorf("CSP: %q", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
				t.Errorf("headers: %v", h)
			}
		})
	}
	t.Run("unknown page is 404", func(t *testing.T) {
		if res, _ := get(t, srv.URL+"/no/such/page", nil); res.StatusCode != 404 {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

func TestServiceWorkerAndManifest(t *testing.T) {
	dir := mustWebDir(t, []byte("\x00asm one"))
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = dir })
	res, sw := get(t, srv.URL+"/app-worker.js", nil)
	if res.StatusCode != 200 {
		t.Fatalf("worker: %d", res.StatusCode)
	}
	etag := res.Header.Get("ETag")
	wasm, _ := get(t, srv.URL+"/web/app.wasm", nil) // its ETag is the version
	version := strings.Trim(wasm.Header.Get("ETag"), `"`)
	for _, want := range []string{`"natter-` + version + `"`, `"/signin"`, `"/web/app.wasm"`, "notificationclick", "tag:", "navigate"} {
		if !bytes.Contains(sw, []byte(want)) {
			t.Errorf("service worker lacks %s", want)
		}
	}
	_, manifest := get(t, srv.URL+"/manifest.webmanifest", nil)
	for _, want := range []string{"/web/icon-192.png", "/web/icon-512.png", "/web/icon.svg", "maskable", "Natter"} {
		if !bytes.Contains(manifest, []byte(want)) {
			t.Errorf("manifest lacks %s: %s", want, manifest)
		}
	}
	// The version is a content hash: the same files give the same version
	// after a restart, a changed file a new one.
	srv.Restart(t)
	if res, _ := get(t, srv.URL+"/app-worker.js", nil); res.Header.Get("ETag") != etag {
		t.Fatalf("version changed without a file changing")
	}
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm two"), 0o644)
	srv.Restart(t)
	if res, _ := get(t, srv.URL+"/app-worker.js", nil); res.Header.Get("ETag") == etag {
		t.Fatalf("version did not change with app.wasm")
	}
}

func TestWasmIsServedPrecompressed(t *testing.T) {
	wasm := bytes.Repeat([]byte("\x00asm payload "), 1000)
	srv := webtest.MustServer(t, func(c *web.Config) { c.WebDir = mustWebDir(t, wasm) })
	tests := []struct {
		accept, encoding string
	}{
		{"gzip, deflate, br", "br"},
		{"gzip", "gzip"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run("accept "+tc.accept, func(t *testing.T) {
			res, body := get(t, srv.URL+"/web/app.wasm", http.Header{"Accept-Encoding": {tc.accept}})
			if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != tc.encoding || res.Header.Get("Content-Type") != "application/wasm" {
				t.Fatalf("status %d encoding %q type %q", res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Content-Type"))
			}
			if tc.encoding == "" && !bytes.Equal(body, wasm) {
				t.Fatal("identity body differs")
			}
		})
	}
	_, appJS := get(t, srv.URL+"/app.js", nil)
	if !bytes.Contains(appJS, []byte(`goappWasmContentLength = "13000"`)) {
		t.Errorf("WasmContentLength not set to the uncompressed size")
	}
}

func TestWebSocketChecksOrigin(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "Org")
	h.Set("Origin", "http://evil.example")
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	_, res, err := websocket.Dial(ctx, srv.WSURL, &websocket.DialOptions{HTTPHeader: h})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v, response %v", err, res)
	}
}
