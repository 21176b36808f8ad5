package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"natter/server/webtest"
	"natter/shared"
)

// hitsJS counts the search results on screen, in the list with the id.
func hitsJS(list string) string {
	return fmt.Sprintf(`document.querySelectorAll("#%s .search-hit").length`, list)
}

// wordsStored is true once the offline search index in IndexedDB holds at
// least n conversations (it polls: each call starts a read and returns what
// the previous one found).
func wordsStored(n int) string {
	return fmt.Sprintf(`(() => {
		const r = indexedDB.open("natter");
		r.onsuccess = () => {
			const db = r.result;
			if (!db.objectStoreNames.contains("words")) { db.close(); return; }
			const c = db.transaction("words").objectStore("words").count();
			c.onsuccess = () => { window.__natterWords = c.result; db.close(); };
		};
		return (window.__natterWords || 0) >= %d;
	})()`, n)
}

// TestSearchFromSidebarAndOffline: ann searches from the sidebar (reached
// with /), sees highlighted results grouped by conversation and none from a
// conversation she is not in, pages by scrolling, opens a result at its
// message, searches inside one conversation from its header, filters the
// sidebar to unread conversations, then searches again offline after a
// reload, from what the device keeps, with the note saying so.
func TestSearchFromSidebarAndOffline(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	carol, _ := srv.MustSignUp(t, "carol")
	trip := mustConv(t, srv, ann, "Trip", bob)
	work := mustConv(t, srv, ann, "Work", bob)
	secret := mustConv(t, srv, bob, "Secret", carol)
	say := func(u shared.User, conv, body string) {
		t.Helper()
		if _, err := srv.Store.SendMessage(context.Background(), u.ID, shared.NewUUIDv7(), conv, body); err != nil {
			t.Fatal(err)
		}
	}
	const tripHits = 25
	for i := 1; i <= tripHits; i++ {
		say(bob, trip.ID, fmt.Sprintf("Itinerary draft %d for the coast, see https://maps.example/%d", i, i))
	}
	say(ann, work.ID, "the itinerary for the offsite is <b>final</b>")
	say(bob, work.ID, "lunch at noon")
	say(bob, secret.ID, "itinerary nobody else sees")

	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "/ focuses the search box",
		Visible("#search-input"),
		chromedp.KeyEvent("/"),
		WaitJS(`document.activeElement && document.activeElement.id === "search-input"`),
	)
	A.Run(t, "Ctrl+K focuses it too",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		WaitJS(`document.activeElement && document.activeElement.id === "search-input"`),
	)
	// TypeInto clears first: CDP types the shortcut's "/" as a separate
	// character event, which a real keypress's preventDefault stops.
	A.Run(t, "search as one types",
		TypeInto("#search-input", "itin"),
		WaitJS(hitsJS("search-results")+" === 20"),
	)
	if n := Eval[int](t, A, `document.querySelectorAll("#search-results .search-group").length`); n != 2 {
		t.Fatalf("%d groups, want Trip and Work", n)
	}
	marks := Eval[[]string](t, A, `[...document.querySelectorAll("#search-results mark")].map(m => m.textContent.toLowerCase())`)
	for _, m := range marks {
		if m != "itinerary" {
			t.Fatalf("highlighted %q; all marks: %q", m, marks)
		}
	}
	if len(marks) < 20 {
		t.Fatalf("%d highlighted words for 20 results", len(marks))
	}
	if !Eval[bool](t, A, `[...document.querySelectorAll("#search-results .search-snippet")].some(s => s.textContent.includes("<b>final</b>"))`) {
		t.Fatal("a message's markup was not shown as the text it is")
	}
	A.Axe(t, "search-results")
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
		A.Run(t, "resize", chromedp.EmulateViewport(sz.w, sz.h), Visible("#search-results"))
		// The results scroll in their own panel, which ends on the screen
		// whatever the sidebar holds above it: paging waits for that scroll.
		if !Eval[bool](t, A, `(() => { const l = document.querySelector("#search-results"); return getComputedStyle(l).overflowY === "auto" && l.scrollHeight > l.clientHeight && l.getBoundingClientRect().bottom <= innerHeight; })()`) {
			t.Fatalf("%s: the results are not a scrolling panel that ends on the screen", sz.name)
		}
		A.Screenshot(t, "search-results-"+sz.name)
	}
	A.Run(t, "scrolling to the end loads the next page",
		chromedp.Evaluate[chromedp.Void](`(() => { const l = document.querySelector("#search-results"); l.scrollTop = l.scrollHeight; })()`),
		WaitJS(hitsJS("search-results")+fmt.Sprintf(" === %d", tripHits+1)),
	)
	if n := Eval[int](t, A, fmt.Sprintf(`document.querySelectorAll('#search-results [data-conv=%q]').length`, secret.ID)); n != 0 {
		t.Fatalf("ann sees %d results from a conversation she is not in", n)
	}
	A.Run(t, "a result opens its message",
		Click(fmt.Sprintf(`#search-results .search-hit[data-conv=%q][data-seq="7"]`, trip.ID)),
		WaitJS(fmt.Sprintf(`location.pathname === "/c/%s/m/7"`, trip.ID)),
	)

	A.Run(t, "search inside a conversation from its header",
		chromedp.Navigate(srv.URL+shared.ConversationPath(work.ID)),
		Click("#conv-search"),
		WaitJS(`document.activeElement && document.activeElement.id === "conv-search-input"`),
		chromedp.SendKeys(chromedp.CSS("#conv-search-input"), "itinerary "),
		WaitJS(hitsJS("conv-search-results")+" === 1"),
	)
	A.Axe(t, "search-conversation")
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
		A.Run(t, "resize", chromedp.EmulateViewport(sz.w, sz.h), Visible("#conv-search-results"))
		A.Screenshot(t, "search-conversation-"+sz.name)
	}
	A.Run(t, "resize back", chromedp.EmulateViewport(1280, 800))

	A.Run(t, "unread only",
		chromedp.Navigate(srv.URL+shared.RouteHome),
		Click("#unread-only"),
		WaitJS(fmt.Sprintf(`(() => { const ids = [...document.querySelectorAll("#conv-list .conv-item")].map(a => a.dataset.id); return ids.length === 1 && ids[0] === %q; })()`, trip.ID)),
		Click("#unread-only"),
		WaitJS(`document.querySelectorAll("#conv-list .conv-item").length === 2`),
	)

	// A reload offline is served by the service worker, which a first
	// visit installs in a quiet moment after the start (loader.js).
	A.Run(t, "the offline index is stored", WaitJS(wordsStored(2)), WaitJS(`navigator.serviceWorker.controller !== null`))
	srv.Stop(t)
	A.Offline(t, true)
	A.Run(t, "offline, after a reload, search what this device keeps",
		chromedp.Navigate(srv.URL+shared.RouteHome),
		Visible("#search-input"),
		chromedp.SendKeys(chromedp.CSS("#search-input"), "itinerary coast"),
		Visible("#search-results .search-note"),
		WaitJS(hitsJS("search-results")+" === 20"),
		Click("#search-results-more"),
		WaitJS(hitsJS("search-results")+fmt.Sprintf(" === %d", tripHits)),
	)
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
		A.Run(t, "resize", chromedp.EmulateViewport(sz.w, sz.h), Visible("#search-results"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#search-results").scrollTop = 0`))
		A.Screenshot(t, "search-offline-"+sz.name)
	}
	A.Axe(t, "search-offline")
}
