package e2e

import (
	"testing"

	"natter/server/webtest"
)

// TestClickIsDrawnBeforeItReturns checks go-app's engine as forked in
// third_party/go-app: an event's update reaches the DOM while the event is
// still being dispatched, because the engine processes the frame right
// after the dispatch. Upstream left it for a timer tick ~8 ms later, in
// another task, so every message and keystroke waited for it and then for
// the browser's next frame. The check reads the DOM synchronously after
// element.click() returns, in the same script: no timing is involved.
func TestClickIsDrawnBeforeItReturns(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "the sidebar's filter is drawn", WaitJS(`!!document.querySelector("#unread-only")`))
	got := Eval[[]string](t, A, `(() => {
		const b = document.querySelector("#unread-only"), before = b.getAttribute("aria-pressed");
		b.click();
		return [before, b.getAttribute("aria-pressed")];
	})()`)
	if len(got) != 2 || got[0] != "false" || got[1] != "true" {
		t.Fatalf(`aria-pressed before and right after the click: %q; want ["false" "true"]`, got)
	}
}
