package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// TestNewConversationRendersBeforeMount: go-app renders once before OnMount;
// with known contacts to suggest, that first render must not panic (it did,
// and the whole app died on the new-conversation page).
func TestNewConversationRendersBeforeMount(t *testing.T) {
	c := &NewConversation{
		Env: &Env{},
		Me:  shared.User{ID: 1, Nickname: "me"},
		Convs: []client.ConvView{{Conversation: shared.Conversation{ID: "c", Members: []shared.Member{
			{UserID: 1, Nickname: "me"}, {UserID: 2, Nickname: "bob"},
		}}}},
	}
	html := app.HTMLString(c)
	if !strings.Contains(html, `data-id="2"`) || !strings.Contains(html, "bob") {
		t.Fatalf("bob is not suggested:\n%s", html)
	}
}
