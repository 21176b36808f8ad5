package e2e

import (
	"context"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// TestSearchSaysWhenOnlyRecentMatchesAreRanked: a word in every one of
// 1,100 messages, once the database's statistics know it, is ranked among
// its most recent matches only, and the results say so (and how to reach
// older ones); a rare word ranks all its matches, without the note.
func TestSearchSaysWhenOnlyRecentMatchesAreRanked(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, _ := srv.MustSignUp(t, "ann")
	bob, _ := srv.MustSignUp(t, "bob")
	chat := mustConv(t, srv, ann, "Chat", bob)
	bg := context.Background()
	// More than the thousand newest matches a conversation gives, written
	// at once (as an import would) and analyzed, as autovacuum would.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO messages (conversation_id, seq, sender_id, body)
			SELECT c.id, c.last_seq + i, ?, 'ok, see you at ' || i FROM conversations c, generate_series(1, 1100) i
			WHERE c.id = ?`, []any{bob.ID, chat.ID}},
		{`UPDATE conversations SET last_seq = last_seq + 1100 WHERE id = ?`, []any{chat.ID}},
		{`ANALYZE messages`, nil},
	} {
		if _, err := srv.Store.DB.NewRaw(q.sql, q.args...).Exec(bg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Store.SendMessage(bg, ann.ID, shared.NewUUIDv7(), chat.ID, "ok, an aardvark"); err != nil {
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
