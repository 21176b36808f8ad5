package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"natter/shared"
)

// TestSlicedEncodingIsJSON: what a flush writes in slices decodes to what
// one json.Marshal of the whole would have (the messages byte for byte),
// so a cache written by either reads back the same.
func TestSlicedEncodingIsJSON(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	msgs := func(n int) []shared.Message {
		var out []shared.Message
		for i := range n {
			m := shared.Message{ID: int64(i + 1), ConversationID: "c", Seq: int64(i + 1), SenderID: 1, Sender: "ann",
				Kind: shared.KindText, Body: fmt.Sprintf("plan %d: <b>\"quoted\"</b> & ünïcode 🎉 \u2028", i), CreatedAt: now}
			if i%7 == 3 {
				m.DeletedAt, m.Body = &now, ""
			}
			if i%5 == 1 {
				m.Reactions = []shared.Reaction{{Emoji: "👍", UserIDs: []int64{1, 2}}}
				m.ReplyTo = &shared.ReplyQuote{Seq: 1, Line: "plan 0"}
			}
			out = append(out, m)
		}
		return out
	}
	for _, n := range []int{0, 1, 33, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ms := msgs(n)
			want, _ := json.Marshal(append([]shared.Message{}, ms...))
			s := &slicer{} // a zero start: every check pauses
			if got := encodeMessages(ms, s); !bytes.Equal(got, want) {
				t.Fatalf("messages:\n%s\nwant\n%s", got, want)
			}
			ix := buildIndexSliced(ms, s)
			if !reflect.DeepEqual(ix, buildIndex(ms)) {
				t.Fatal("the sliced index differs from buildIndex's")
			}
			var back wordIndex
			if err := json.Unmarshal(encodeIndex(ix, s), &back); err != nil {
				t.Fatal(err)
			}
			if len(ix.Words) == 0 {
				ix.Words = map[string][]int64{} // decodes as an empty map
			}
			if back.Words == nil {
				back.Words = map[string][]int64{}
			}
			if !reflect.DeepEqual(&back, ix) {
				t.Fatalf("index read back %+v, want %+v", back, ix)
			}
		})
	}
}
