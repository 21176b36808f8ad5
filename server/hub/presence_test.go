package hub_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// Detach removes presence at once, and the remaining viewers and members get
// a presence update without the leaver.
func TestDetachRemovesPresence(t *testing.T) {
	h := MustHub(t, hub.Options{PresenceInterval: 5 * time.Millisecond})
	ca, cb, cc := newFakeConn(), newFakeConn(), newFakeConn()
	a := h.Attach(1, 1, ca)
	b := h.Attach(2, 2, cb)
	h.Attach(3, 3, cc) // a member who is not looking
	members := []int64{1, 2, 3}
	h.SetViewing(a, shared.ReadPosition{ConversationID: "X", Nickname: "ann", Seq: 5, Offset: 250}, members)
	h.SetViewing(b, shared.ReadPosition{ConversationID: "X", Nickname: "bob", Seq: 7}, members)

	both := func(p shared.Presence) bool { return slices.Equal(viewerIDs(p), []int64{1, 2}) }
	MustPresence(t, cc, both)

	h.Detach(b)
	if got := h.Viewers("X"); !slices.Equal(got, []int64{1}) {
		t.Fatalf("viewers right after Detach = %v, want [1]", got)
	}
	h.SetViewing(b, shared.ReadPosition{ConversationID: "X", Seq: 9}, members) // too late: must not return
	if got := h.Viewers("X"); !slices.Equal(got, []int64{1}) {
		t.Fatalf("detached client came back: viewers %v", got)
	}

	onlyAnn := func(p shared.Presence) bool { return slices.Equal(viewerIDs(p), []int64{1}) }
	for _, f := range []*fakeConn{ca, cc} {
		p := MustPresence(t, f, onlyAnn)
		want := shared.ReadPosition{ConversationID: "X", UserID: 1, Nickname: "ann", Seq: 5, Offset: 250}
		if p.ConversationID != "X" || p.Viewers[0] != want {
			t.Fatalf("presence %+v, want viewer %+v", p, want)
		}
	}
}

// Updates within the interval are coalesced into one broadcast carrying the
// newest position; leaving and switching conversations update both.
func TestPresenceThrottle(t *testing.T) {
	h := MustHub(t, hub.Options{PresenceInterval: time.Hour}) // only FlushPresence ends an interval
	ca, cb := newFakeConn(), newFakeConn()
	a := h.Attach(1, 1, ca)
	b := h.Attach(2, 2, cb)
	members := []int64{1, 2}
	for seq := int64(1); seq <= 50; seq++ {
		h.SetViewing(a, shared.ReadPosition{ConversationID: "X", Seq: seq}, members)
	}
	h.FlushPresence()
	h.SetViewing(a, shared.ReadPosition{ConversationID: "Y", Seq: 3}, members) // leaves X
	h.FlushPresence()
	h.StopViewing(a)
	h.FlushPresence()
	if v := h.Viewers("X"); v != nil {
		t.Fatalf("X still has viewers %v", v)
	}
	end := named("end")
	b.Send(end)

	var got []shared.Presence
	for {
		raw := cb.MustNext(t)
		if bytes.Equal(raw, end) {
			break
		}
		env := decode(t, raw)
		var p shared.Presence
		if err := json.Unmarshal(env.Data, &p); err != nil || env.Type != shared.TypePresence {
			t.Fatalf("unexpected envelope %s", raw)
		}
		got = append(got, p)
	}
	type view struct {
		conv string
		seqs []int64
	}
	want := []view{
		{"X", []int64{1}},  // the first update goes out at once
		{"X", []int64{50}}, // the other 49 coalesce into one, with the newest position
		{"X", []int64{}},   // a moved to Y
		{"Y", []int64{3}},
		{"Y", []int64{}}, // a stopped viewing
	}
	// X and Y broadcasts of one flush may come in either order.
	slices.SortStableFunc(got[2:4], func(p, q shared.Presence) int { return cmp.Compare(p.ConversationID, q.ConversationID) })
	if len(got) != len(want) {
		t.Fatalf("got %d presence broadcasts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		seqs := []int64{}
		for _, v := range got[i].Viewers {
			seqs = append(seqs, v.Seq)
		}
		if got[i].ConversationID != w.conv || !slices.Equal(seqs, w.seqs) {
			t.Fatalf("broadcast %d = %+v, want %s %v", i, got[i], w.conv, w.seqs)
		}
	}
}

// A user with two connections viewing appears once, at the newest position.
func TestPresenceOnePerUser(t *testing.T) {
	h := MustHub(t, hub.Options{PresenceInterval: time.Hour})
	phone, laptop, watcher := newFakeConn(), newFakeConn(), newFakeConn()
	p := h.Attach(1, 1, phone)
	l := h.Attach(1, 2, laptop)
	h.Attach(2, 3, watcher)
	members := []int64{1, 2}
	h.SetViewing(p, shared.ReadPosition{ConversationID: "X", Seq: 4}, members)
	h.SetViewing(l, shared.ReadPosition{ConversationID: "X", Seq: 9}, members)
	h.FlushPresence()
	got := MustPresence(t, watcher, func(p shared.Presence) bool { return len(p.Viewers) == 1 && p.Viewers[0].Seq == 9 })
	if got.Viewers[0].UserID != 1 {
		t.Fatalf("presence %+v", got)
	}
}
