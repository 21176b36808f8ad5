package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// TestBlockFromMemberList: ann blocks bob from a conversation's member list
// (confirming first), finds him on her profile under "Blocked people", and
// unblocks him there.
func TestBlockFromMemberList(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	ws := srv.MustConnect(t, ha, nil)
	ack := ws.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "team", MemberIDs: []int64{bob.ID}})
	conv := ack.Conversation.ID

	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	block := fmt.Sprintf(`.block-member[data-id="%d"]`, bob.ID)
	A.Run(t, "open the member list",
		chromedp.Navigate(srv.URL+shared.ConversationPath(conv)),
		Click("#manage"),
		Visible(block),
	)
	A.Screenshot(t, "block-member-list-desktop")
	A.Run(t, "block bob, confirming first",
		Click(block),
		Visible("#confirm-block"),
	)
	A.Shots(t, "block-confirm")
	A.Run(t, "confirm",
		Click("#confirm-block"),
		Visible(fmt.Sprintf(`.unblock-member[data-id="%d"]`, bob.ID)),
	)
	if names := blockedOnServer(t, srv, ann.ID); len(names) != 1 || names[0] != bob.Nickname {
		t.Fatalf("ann's blocks on the server: %v", names)
	}
	A.Run(t, "the profile lists bob",
		Click("#profile-link"),
		WaitText("#blocked-list", bob.Nickname),
		WaitJS(`(() => { const e = document.querySelector("#blocked-people"); e.scrollIntoView(); return e.getBoundingClientRect().bottom <= innerHeight; })()`),
	)
	A.Screenshot(t, "profile-blocked-desktop")
	A.Run(t, "unblock from the profile",
		Click(fmt.Sprintf(`#blocked-list .unblock[data-id="%d"]`, bob.ID)),
		WaitText("#blocked-status", bob.Nickname+" is unblocked."),
	)
	if names := blockedOnServer(t, srv, ann.ID); len(names) != 0 {
		t.Fatalf("ann's blocks after unblocking: %v", names)
	}
}

func blockedOnServer(t *testing.T, srv *webtest.Server, userID int64) []string {
	t.Helper()
	bs, err := srv.Store.Blocks(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Nickname)
	}
	return names
}
