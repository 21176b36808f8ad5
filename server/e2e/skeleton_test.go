package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// boxesJS lists where the elements matching a selector are drawn.
func boxesJS(sel string) string {
	return fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%q)].map((e) => {
		const r = e.getBoundingClientRect();
		return [e.className, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
	}))`, sel)
}

// TestSkeletonIsReplacedInPlace: the page the server sends paints the
// screen before the wasm runs, and the app then takes it over without
// anything moving. For the sign-in page and the signed-in frame, at phone
// and desktop widths, it compares where the skeleton's elements are (the
// page opened with ?wasm=false, which keeps the app from starting) with
// where the app draws the same elements, and keeps screenshots of both in
// light and dark.
func TestSkeletonIsReplacedInPlace(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	A := MustBrowser(t, "ann")

	screens := []struct {
		name, path, ready, boxes string
	}{
		{"signin", shared.RouteSignIn, "#signin-login",
			".auth-card, .auth-brand, .auth-title, .auth-sub, .field-label, .input, .auth-card .btn-primary, .auth-switch"},
		{"home", shared.RouteHome, "#new-conversation",
			".sidebar, .side-head, .brand, .side-actions .btn-primary, .pane"},
	}
	for _, sc := range screens {
		if sc.name == "home" {
			signIn(t, A, srv, ann)
		}
		for _, size := range []struct {
			label string
			w, h  int64
		}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
			A.Run(t, "resize", chromedp.EmulateViewport(size.w, size.h))
			A.Run(t, sc.name+" skeleton", chromedp.Navigate(srv.URL+sc.path+"?wasm=false"), WaitJS(`!!document.querySelector("[data-skeleton]")`))
			before := Eval[string](t, A, boxesJS(sc.boxes))
			lightDarkShots(t, A, "skeleton-"+sc.name+"-"+size.label+"-before")
			A.Run(t, sc.name+" app", chromedp.Navigate(srv.URL+sc.path), Visible(sc.ready), WaitJS(`!document.querySelector("[data-skeleton]")`))
			after := Eval[string](t, A, boxesJS(sc.boxes))
			lightDarkShots(t, A, "skeleton-"+sc.name+"-"+size.label+"-after")
			if before == "[]" || before != after {
				t.Errorf("%s at %s: the skeleton's elements\n%s\nmove when the app takes over:\n%s", sc.name, size.label, before, after)
			}
		}
	}
	A.Run(t, "resize back", chromedp.EmulateViewport(1280, 800))
}

// lightDarkShots keeps a screenshot in light and in dark.
func lightDarkShots(t *testing.T, b *Browser, name string) {
	for _, scheme := range []string{"light", "dark"} {
		b.ColorScheme(t, scheme)
		b.Screenshot(t, name+"-"+scheme)
	}
	b.ColorScheme(t, "light")
}
