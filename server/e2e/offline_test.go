package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

func mustConv(t *testing.T, srv *webtest.Server, owner shared.User, title string, members ...shared.User) shared.Conversation {
	t.Helper()
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	c, err := srv.Store.CreateConversation(context.Background(), owner.ID, shared.NewUUIDv7(),
		shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// msgTexts is a JavaScript expression listing the message texts on screen.
const msgTexts = `[...document.querySelectorAll("#messages .msg")].map(m => m.innerText)`

// countText counts messages containing text and checks their state.
func countJS(text, state string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#messages .msg")].filter(m => m.innerText.includes(%q) && (%q === "" || m.dataset.state === %q)).length`, text, state, state)
}

// TestOfflineQueueAndDrafts: A loses the network and the server, writes
// three messages and a draft in another conversation, reloads while offline:
// the queue and the draft are still there. Back online, B sees the three
// messages once each, in order, and A's draft is still a draft. A message
// queued into a conversation that was closed meanwhile fails with the reason
// and offers Retry and Discard without blocking the rest.
func TestOfflineQueueAndDrafts(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Trip", bob)
	other := mustConv(t, srv, ann, "Other", bob)
	doomed := mustConv(t, srv, bob, "Doomed", ann)

	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	A.Run(t, "A opens the chat", chromedp.Navigate(srv.URL+shared.ConversationPath(chat.ID)), Visible("#composer"),
		WaitJS(`navigator.serviceWorker.controller !== null`))
	B.Run(t, "B opens the chat", chromedp.Navigate(srv.URL+shared.ConversationPath(chat.ID)), Visible("#composer"))

	srv.Stop(t)
	A.Run(t, "A sees the connection drop", WaitJS(`["reconnecting","offline"].includes((document.querySelector("#conn-status")||{dataset:{}}).dataset.state)`))
	A.Shots(t, "reconnecting")
	A.Offline(t, true)
	A.Run(t, "A is offline", WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "offline"`))
	for i := 1; i <= 3; i++ {
		A.Run(t, fmt.Sprintf("queue message %d", i), send(fmt.Sprintf("offline %d", i)),
			WaitJS(countJS(fmt.Sprintf("offline %d", i), "queued")+" === 1"))
	}
	A.Shots(t, "queued")

	A.Run(t, "draft in another conversation",
		Click(fmt.Sprintf(`.conv-item[data-id=%q]`, other.ID)),
		WaitJS(`location.pathname === "/c/`+other.ID+`"`),
		TypeInto("#composer", "half-written thought"),
	)
	A.Run(t, "queue into a conversation that will be closed",
		Click(fmt.Sprintf(`.conv-item[data-id=%q]`, doomed.ID)),
		WaitJS(`location.pathname === "/c/`+doomed.ID+`"`),
		send("too late"),
		WaitJS(countJS("too late", "queued")+" === 1"),
	)

	A.Run(t, "reload while offline keeps the queue",
		chromedp.Navigate(srv.URL+shared.ConversationPath(chat.ID)),
		Visible("#composer"),
		WaitJS(countJS("offline", "queued")+" === 3"),
	)
	order := Eval[[]string](t, A, msgTexts)
	if !inOrder(order, "offline 1", "offline 2", "offline 3") {
		t.Fatalf("queued messages out of order after reload: %q", order)
	}
	A.Run(t, "and keeps the draft",
		Click(fmt.Sprintf(`.conv-item[data-id=%q]`, other.ID)),
		WaitJS(`(document.querySelector("#composer")||{}).value === "half-written thought"`),
	)

	srv.Start(t)
	// Bob closes "Doomed" while A is still offline with a message queued there.
	if _, err := srv.Store.CloseConversation(context.Background(), bob.ID, shared.NewUUIDv7(), doomed.ID); err != nil {
		t.Fatal(err)
	}
	A.Offline(t, false)
	B.Run(t, "B gets the three messages once each",
		WaitJS(countJS("offline 3", "")+" === 1"),
	)
	got := Eval[[]string](t, B, msgTexts)
	if n := countOf(got, "offline 1") + countOf(got, "offline 2") + countOf(got, "offline 3"); n != 3 || !inOrder(got, "offline 1", "offline 2", "offline 3") {
		t.Fatalf("B sees %q", got)
	}
	A.Run(t, "A's draft is still a draft", WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
		WaitJS(`(document.querySelector("#composer")||{}).value === "half-written thought"`))
	A.Run(t, "the message to the closed conversation failed, with the reason",
		// The list re-sorts as the replay lands: wait for it to settle.
		WaitJS(fmt.Sprintf(`!!document.querySelector('.conv-item[data-id=%q].is-closed') && !document.querySelector('.conv-item[data-id=%q] .is-local')`, doomed.ID, chat.ID)),
		Click(fmt.Sprintf(`.conv-item[data-id=%q]`, doomed.ID)),
		WaitJS(countJS("too late", "failed")+" === 1"),
		Visible("#closed-notice"),
	)
	A.Shots(t, "failed")
	h, err := srv.Store.History(context.Background(), bob.ID, chat.ID, 0, 50)
	if err != nil || len(h.Messages) != 3 {
		t.Fatalf("server holds %d messages (want 3): %v", len(h.Messages), err)
	}
}

// TestConversationCreatedOffline: a conversation started offline reaches its
// members after reconnect, with the messages queued into it.
func TestConversationCreatedOffline(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	mustConv(t, srv, ann, "Known", bob) // makes bob a known contact for the offline picker
	A := MustBrowser(t, "ann")
	B := MustBrowser(t, "bob")
	signIn(t, A, srv, ann)
	signIn(t, B, srv, bob)
	A.Run(t, "service worker", WaitJS(`navigator.serviceWorker.controller !== null`))

	srv.Stop(t)
	A.Offline(t, true)
	A.Run(t, "create offline",
		Click("#new-conversation"),
		Visible("#member-search"),
		TypeInto("#member-search", bob.Nickname[:3]),
		Click(fmt.Sprintf(`.user-result[data-id="%d"]`, bob.ID)),
		TypeInto("#conversation-title", "Made offline"),
		Click("#create-conversation"),
		WaitJS(`location.pathname.startsWith("/c/")`),
		send("first words"),
		WaitJS(countJS("first words", "queued")+" === 1"),
	)
	A.Shots(t, "created-offline")

	srv.Start(t)
	A.Offline(t, false)
	B.Run(t, "B gets the conversation and its message",
		WaitText("#conv-list", "Made offline"),
		Click(".conv-item"),
		WaitText("#messages", "first words"),
	)
	A.Run(t, "A's copy is confirmed", WaitJS(countJS("first words", "sent")+" === 1"))
}

// TestResumeAfterServerRestart: an open tab resumes within seconds after a
// server restart, without signing in again.
func TestResumeAfterServerRestart(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Restart", bob)
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "open", chromedp.Navigate(srv.URL+shared.ConversationPath(chat.ID)), Visible("#composer"),
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`))
	srv.Restart(t)
	A.Run(t, "A resumes by itself",
		WaitJS(`(document.querySelector("#conn-status")||{dataset:{}}).dataset.state === "connected"`),
		send("after the restart"),
		WaitJS(countJS("after the restart", "sent")+" === 1"),
	)
	if loc := Eval[string](t, A, `location.pathname`); loc != shared.ConversationPath(chat.ID) {
		t.Fatalf("A was sent to %s", loc)
	}
	w := srv.MustConnect(t, hb, nil)
	found := false
	for _, e := range w.Replay {
		if e.Type == shared.TypeMessageCreated && contains(string(e.Data), "after the restart") {
			found = true
		}
	}
	if !found {
		t.Fatal("the message sent after the restart is not on the server")
	}
}

func inOrder(list []string, want ...string) bool {
	i := 0
	for _, s := range list {
		if i < len(want) && contains(s, want[i]) {
			i++
		}
	}
	return i == len(want)
}

func countOf(list []string, sub string) int {
	n := 0
	for _, s := range list {
		if contains(s, sub) {
			n++
		}
	}
	return n
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
