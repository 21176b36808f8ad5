package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core release the checks are written against;
// ./build.sh test installs exactly this one from the npm registry.
const axeVersion = "4.14.1"

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource reads axe.min.js: from $NATTER_AXE, or where ./build.sh test
// installs it. A missing file fails the test with the fix; it never skips.
func axeSource(tb testing.TB) string {
	tb.Helper()
	axeOnce.Do(func() {
		path := os.Getenv("NATTER_AXE")
		if path == "" {
			path = filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			axeErr = fmt.Errorf("%w: install it with `npm install --prefix .cache/axe axe-core@%s` (./build.sh test does)", err, axeVersion)
			return
		}
		axeJS = string(b)
	})
	if axeErr != nil {
		tb.Fatalf("e2e: axe-core: %v", axeErr)
	}
	return axeJS
}

// ColorScheme makes the page see prefers-color-scheme light or dark, as a
// person with that system setting would.
func (b *Browser) ColorScheme(tb testing.TB, scheme string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		tb.Fatalf("e2e: emulate prefers-color-scheme %s: %v", scheme, err)
	}
}

// axeViolation is the part of an axe-core result a failure report needs.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page as it is now, in both color schemes, and
// fails on every serious or critical violation (minor and moderate ones are
// logged). It also saves a screenshot per scheme.
func (b *Browser) Axe(tb testing.TB, screen string) {
	tb.Helper()
	src := axeSource(tb)
	for _, scheme := range []string{"light", "dark"} {
		b.ColorScheme(tb, scheme)
		// axe reads computed colors: wait for the restyle (two frames) and
		// for any color transition the switch started to finish.
		b.Run(tb, "settle colors", WaitJS(`(() => {
			if (!window.__frames) { window.__frames = new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))).then(() => window.__framed = true); }
			if (!window.__framed) return false;
			const busy = document.getAnimations().some(a => a.playState === "running" && typeof CSSTransition !== "undefined" && a instanceof CSSTransition);
			if (!busy) { delete window.__frames; delete window.__framed; }
			return !busy;
		})()`))
		ctx, cancel := context.WithTimeout(b.Ctx, 45*time.Second)
		expr := `(async () => {
			if (!window.axe) { (0, eval)(` + jsString(src) + `); }
			const r = await axe.run(document, {resultTypes: ["violations"]});
			return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
				nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, failureSummary: n.failureSummary}))})));
		})()`
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			tb.Fatalf("e2e: axe on %s (%s): %v", screen, scheme, err)
		}
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			tb.Fatalf("e2e: axe result on %s: %v", screen, err)
		}
		b.Screenshot(tb, "axe-"+screen+"-"+scheme)
		var bad []string
		for _, v := range vs {
			line := fmt.Sprintf("%s [%s] %s", v.ID, v.Impact, v.Help)
			for _, n := range v.Nodes {
				line += fmt.Sprintf("\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
			}
			if v.Impact == "serious" || v.Impact == "critical" {
				bad = append(bad, line)
			} else {
				tb.Logf("axe on %s (%s), not failing: %s", screen, scheme, line)
			}
		}
		if len(bad) > 0 {
			tb.Errorf("axe on %s (%s): %d serious or critical violations:\n%s", screen, scheme, len(bad), strings.Join(bad, "\n"))
		}
	}
	b.ColorScheme(tb, "light")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
