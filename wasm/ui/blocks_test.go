package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

// TestBlockComponentsRenderBeforeMount: go-app renders once before OnMount,
// when nothing is loaded yet; that render must work and offer the action.
func TestBlockComponentsRenderBeforeMount(t *testing.T) {
	env := &Env{}
	for _, tc := range []struct {
		name string
		c    app.UI
		want []string
	}{
		{"member list button", &BlockButton{Env: env, MeID: 1, UserID: 2, Nickname: "bob"},
			[]string{`class="btn btn-small btn-danger-ghost block-member"`, `data-id="2"`, `aria-label="Block bob"`}},
		{"profile card", &BlockedPeople{Env: env, Me: shared.User{ID: 1, Nickname: "me"}},
			[]string{`id="blocked-heading"`, "Blocked people", `id="blocked-list"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html := app.HTMLString(tc.c)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q in\n%s", w, html)
				}
			}
		})
	}
}

func TestLeftOutNotice(t *testing.T) {
	if leftOutNotice(nil) != nil {
		t.Fatal("a notice for nobody left out")
	}
	html := app.HTMLString(leftOutNotice([]shared.LeftOut{
		{UserID: 2, Nickname: "ann", Reason: shared.CodeBlocked},
		{UserID: 3, Nickname: "<b>bob</b>", Reason: shared.CodeBlocked},
	}))
	for _, w := range []string{`role="status"`, "ann and &lt;b&gt;bob&lt;/b&gt; were not added"} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q in\n%s", w, html)
		}
	}
}
