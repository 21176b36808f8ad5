package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// TestOldChangeWaitsForRetry: a rename that waited in the outbox longer than
// shared.ActionReplayWindow (as if typed offline weeks ago) is not replayed:
// the app lists it as not applied, with the reason, and Retry applies it as
// a new action.
func TestOldChangeWaitsForRetry(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Plans", bob)
	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)

	// The outbox entry as the engine stores it, queued weeks ago.
	id := shared.NewUUIDv7()
	queued := time.Now().Add(-shared.ActionReplayWindow - 48*time.Hour)
	entry, _ := json.Marshal(map[string]any{
		"id": id, "type": shared.TypeConversationRename, "user_id": ann.ID, "queued_at": queued,
		"data": map[string]string{"conversation_id": chat.ID, "title": "Renamed weeks ago"},
	})
	key := fmt.Sprintf("%020d-%s", queued.UnixMicro(), id)
	A.Run(t, "an old rename waits in the outbox", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(async () => {
			const db = await new Promise((ok, fail) => { const r = indexedDB.open("natter"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
			const tx = db.transaction("outbox", "readwrite");
			tx.objectStore("outbox").put(new TextEncoder().encode(%q), %q);
			await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
			db.close(); return true; })()`, entry, key), chromedp.EvalAwaitPromise)(ctx, tg)
		return err
	}))
	A.Run(t, "after a reload it is listed as not applied, with the reason",
		chromedp.Reload(), Visible("#new-conversation"), WaitJS(connState+` === "connected"`),
		WaitText("#failed-changes", "This change waited too long offline and was not applied"),
		WaitText("#failed-changes", "Renaming “Plans” to “Renamed weeks ago”"))
	A.Shots(t, "old-change-not-applied")
	if c, err := srv.Store.ConversationByID(context.Background(), chat.ID); err != nil || c.Title != "Plans" {
		t.Fatalf("the expired rename reached the server: title %q (%v)", c.Title, err)
	}

	A.Run(t, "Retry applies it anew", Click("#failed-changes .retry"),
		WaitJS(`!document.querySelector("#failed-changes")`),
		WaitText("#conv-list", "Renamed weeks ago"))
	if c, _ := srv.Store.ConversationByID(context.Background(), chat.ID); c.Title != "Renamed weeks ago" {
		t.Fatalf("after Retry the title is %q", c.Title)
	}
}
