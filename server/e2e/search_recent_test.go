package e2e

import (
	"context"
	"fmt"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// TestSearchSaysWhenOnlyRecentMatchesAreRanked: a word in every message,
// once the database's statistics know it, is ranked among its most recent
// matches only, and the results say so (and how to reach older ones); a
// rare word ranks all its matches, without the note.
func TestSearchSaysWhenOnlyRecentMatchesAreRanked(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Chat", bob)
	bg := context.Background()
	for i := range 40 {
		if _, err := srv.Store.SendMessage(bg, bob.ID, shared.NewUUIDv7(), chat.ID, fmt.Sprintf("ok, see you at %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Store.SendMessage(bg, ann.ID, shared.NewUUIDv7(), chat.ID, "ok, an aardvark"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.DB.ExecContext(bg, `ANALYZE messages`); err != nil { // as autovacuum would
		t.Fatal(err)
	}

	A := MustBrowser(t, "ann")
	signIn(t, A, srv, ann)
	A.Run(t, "a word in every message: the best of its recent matches, said so",
		TypeInto("#search-input", "ok "),
		WaitJS(hitsJS("search-results")+" === 20"),
		Visible("#search-results .search-recent"),
	)
	A.Screenshot(t, "search-recent")
	A.Run(t, "a rare word: every match, no note",
		TypeInto("#search-input", "aardvark "),
		WaitJS(hitsJS("search-results")+" === 1"),
		WaitJS(`document.querySelector("#search-results .search-recent") === null`),
	)
}
