package web

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

// front is what a browser loads before the app runs: the pages (a skeleton
// of the screen, the CSS inlined, preload hints) and the text assets, all
// compressed once. go-app still generates the scripts, the manifest and
// the service worker; front serves them.
type front struct {
	assets map[string]*textAsset // by URL path
	pages  map[string]*textAsset // by skeleton kind
	base   pageData              // every page's data but the skeleton
}

//go:embed loader.js
var loaderJS string

// loaderCut is where go-app's app.js starts its wasm loading code, which
// loader.js replaces; the scripts before it (service worker registration,
// install and update hooks, notifications) the Go side of go-app calls.
const loaderCut = "// -----------------------------------------------------------------------------\n// Web Assembly\n"

// registerNow is go-app's call registering the service worker as app.js
// runs; registerLater (loader.js) waits until the app has started instead.
// A cold start then does not share the machine with the worker's install
// (its script, the precache of every page and asset) while the wasm
// compiles and the first screen is drawn.
const (
	registerNow   = "\ngoappInitServiceWorker();\n"
	registerLater = "\nnatterRegisterLater(goappInitServiceWorker);\n"
)

// conversationRoute matches the pages of single conversations.
var conversationRoute = regexp.MustCompile(shared.RouteConversationPattern)

// newFront builds the pages and assets for go-app's handler h.
func newFront(h *app.Handler, webDir string, logf func(msg string, args ...any)) *front {
	f := &front{assets: map[string]*textAsset{}, pages: map[string]*textAsset{}}
	wasmURL := "/web/app.wasm?v=" + h.Version

	appJS := string(fromHandler(h, "/app.js"))
	if i := strings.Index(appJS, loaderCut); i >= 0 {
		appJS = appJS[:i] + strings.ReplaceAll(loaderJS, "{{.WasmURL}}", wasmURL)
		if strings.Contains(appJS, registerNow) {
			appJS = strings.Replace(appJS, registerNow, registerLater, 1)
		} else {
			logf("pwa: go-app's app.js has changed; its service worker registers at once")
		}
	} else {
		logf("pwa: go-app's app.js has changed; keeping its wasm loader")
	}
	f.assets["/app.js"] = newTextAsset("text/javascript; charset=utf-8", []byte(appJS))
	f.assets["/wasm_exec.js"] = newTextAsset("text/javascript; charset=utf-8", fromHandler(h, "/wasm_exec.js"))
	manifest := newTextAsset("application/manifest+json", withManifestExtras(fromHandler(h, "/manifest.webmanifest"), logf))
	f.assets["/manifest.webmanifest"] = manifest
	f.assets["/manifest.json"] = manifest // go-app's alias
	sw := newTextAsset("text/javascript; charset=utf-8", fromHandler(h, "/app-worker.js"))
	sw.noStore = true // the browser checks the worker for updates itself
	f.assets["/app-worker.js"] = sw

	css, _ := os.ReadFile(filepath.Join(webDir, "app.css"))
	f.assets["/web/app.css"] = newTextAsset("text/css; charset=utf-8", css)
	emoji, err := os.ReadFile(filepath.Join(webDir, "fonts", "emoji.css"))
	if err == nil {
		f.assets["/web/fonts/emoji.css"] = newTextAsset("text/css; charset=utf-8", emoji)
	}

	f.base = pageData{
		Description: h.Description,
		ThemeColor:  h.ThemeColor,
		CSS:         template.CSS(inlineCSS(string(css), string(emoji))),
		WasmURL:     wasmURL,
		WasmExecURL: f.assets["/wasm_exec.js"].url("/wasm_exec.js"),
		AppJSURL:    f.assets["/app.js"].url("/app.js"),
	}
	for _, kind := range skeletonKinds {
		page, err := f.page(skeleton(kind))
		if err != nil {
			logf("pwa: page template", "err", err)
		}
		f.pages[kind] = newTextAsset("text/html; charset=utf-8", page)
	}
	return f
}

// page is the whole page around a skeleton.
func (f *front) page(skel template.HTML) ([]byte, error) {
	var b bytes.Buffer
	d := f.base
	d.Skeleton = skel
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("web: page: %w", err)
	}
	return b.Bytes(), nil
}

// inlineCSS is app.css with the emoji fonts' faces in place of its import
// (relative URLs made absolute: the page is not in /web/) and the
// loader's style: all of it, since the first screen uses most of it and a
// second request would block the first paint longer than 7 KB of brotli.
func inlineCSS(css, emoji string) string {
	emoji = fontURL.ReplaceAllString(emoji, "url(/web/fonts/$1)")
	css = strings.Replace(css, `@import url("fonts/emoji.css");`, emoji, 1)
	return css + loaderCSS
}

var fontURL = regexp.MustCompile(`url\(([\w.-]+\.woff2)\)`)

// loaderCSS turns go-app's loading screen (#app-wasm-loader) into a thin
// bar that slides along the top while the wasm loads: the skeleton is the
// screen, and the bar needs no byte counts, so nothing reads the download.
const loaderCSS = `
#app-wasm-loader{position:fixed;top:0;left:0;right:0;height:3px;overflow:hidden;z-index:1000;pointer-events:none}
#app-wasm-loader::after{content:"";position:absolute;top:0;bottom:0;width:30%;background:var(--accent);animation:natter-load 1.1s ease-in-out infinite}
#app-wasm-loader p{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
#app-wasm-loader.failed{height:auto;padding:12px 16px;background:var(--surface);pointer-events:auto}
#app-wasm-loader.failed::after{display:none}
#app-wasm-loader.failed p{position:static;width:auto;height:auto;clip:auto;white-space:normal;margin:0}
@keyframes natter-load{from{left:-30%}to{left:100%}}
@media (prefers-reduced-motion:reduce){#app-wasm-loader::after{animation:none;left:0;width:100%;opacity:.5}}
`

type pageData struct {
	Description, ThemeColor        string
	CSS                            template.CSS
	WasmURL, WasmExecURL, AppJSURL string
	Skeleton                       template.HTML
}

// pageTemplate is the page of every route. The scripts are deferred and
// the wasm preloaded, so its download starts while the page is parsed; the
// CSS is inlined, so nothing blocks the first paint of the skeleton.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="description" content="{{.Description}}">
<meta name="theme-color" content="{{.ThemeColor}}">
<meta name="mobile-web-app-capable" content="yes">
<title>Natter</title>
<link rel="preload" href="{{.WasmURL}}" as="fetch" crossorigin>
<link rel="icon" href="/web/icon.svg">
<link rel="apple-touch-icon" href="/web/icon-maskable-512.png">
<link rel="manifest" href="/manifest.webmanifest">
<style>{{.CSS}}</style>
<script defer src="{{.WasmExecURL}}"></script>
<script defer src="{{.AppJSURL}}"></script>
</head>
<body>
{{.Skeleton}}
<aside id="app-wasm-loader" class="goapp-app-info" aria-hidden="true"><p id="app-wasm-loader-label" class="goapp-label">Loading Natter…</p></aside>
</body>
</html>
`))

// serve answers what front holds: a page, or a text asset. It reports
// false for anything else (icons, fonts, go-app's own routes).
func (f *front) serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if a, ok := f.assets[p]; ok {
		a.ServeHTTP(w, r)
		return true
	}
	if slices.Contains(shared.PageRoutes, p) || conversationRoute.MatchString(p) {
		f.pages[skeletonKind(p)].ServeHTTP(w, r)
		return true
	}
	return false
}

// conversationShell is the conversation page the service worker caches
// and serves offline for every conversation (see sw.js).
const conversationShell = "/c/00000000-0000-0000-0000-000000000000"

// frontFingerprint is everything of the pages that lives in this program
// rather than in the web directory; assetVersion hashes it so that a
// changed skeleton or loader is a new version for the service worker.
func frontFingerprint() string {
	var b strings.Builder
	b.WriteString(loaderJS)
	b.WriteString(loaderCSS)
	b.WriteString(pageTemplate.Tree.Root.String())
	for _, kind := range skeletonKinds {
		b.WriteString(string(skeleton(kind)))
	}
	return b.String()
}

func mustURL(path string) *url.URL {
	u, err := url.Parse(path)
	if err != nil {
		panic(err)
	}
	return u
}
