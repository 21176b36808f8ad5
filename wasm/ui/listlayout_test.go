package ui

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"natter/shared"
	"natter/wasm/client"
)

// TestRelayoutAppendsLikeAFullLayout grows one engine-like slice (appends
// within its capacity, so the start stays put) and checks after each step
// that the appended layout is the one a full layout makes, and that it was
// taken only when it may be.
func TestRelayoutAppendsLikeAFullLayout(t *testing.T) {
	const me, bob, carol = 1, 2, 3
	now := base.Add(72 * time.Hour)
	seenAt := base.Add(time.Minute)
	members := []shared.Member{{UserID: me, Nickname: "me", SeenSeq: 1}, {UserID: bob, Nickname: "bob", SeenSeq: 2, SeenAt: &seenAt}, {UserID: carol, Nickname: "carol"}}
	store := make([]client.MsgView, 0, 64)
	store = append(store, msg(1, bob, "bob", 0), msg(2, me, "me", time.Minute), msg(3, bob, "bob", 2*time.Minute))
	l := &MessageList{Env: &Env{}, ConvID: "c", MeID: me, Members: members, newFrom: 3}
	var rev uint64 = 1
	l.relayout(client.Msgs{Rev: rev, Msgs: store}, now)

	steps := []struct {
		name    string
		add     []client.MsgView
		members []shared.Member
		append  bool // the layout may only append
	}{
		{"same sender joins the group", []client.MsgView{msg(4, bob, "bob", 3*time.Minute)}, nil, true},
		{"own message ends it and becomes the newest own", []client.MsgView{msg(5, me, "me", 4*time.Minute)}, nil, true},
		{"another own one takes over the newest own", []client.MsgView{msg(6, me, "me", 5*time.Minute)}, nil, true},
		{"a new day", []client.MsgView{msg(7, carol, "carol", 30*time.Hour), msg(8, carol, "carol", 30*time.Hour+time.Second)}, nil, true},
		{"a gap in time starts a group", []client.MsgView{msg(9, carol, "carol", 31*time.Hour)}, nil, true},
		{"a read receipt of someone else lays out again", nil, []shared.Member{members[0], {UserID: bob, Nickname: "bob", SeenSeq: 9, SeenAt: &seenAt}, members[2]}, false},
		{"a message at a read cursor lays out again", []client.MsgView{msg(10, bob, "bob", 31*time.Hour+time.Second)}, []shared.Member{members[0], members[1], {UserID: carol, Nickname: "carol", SeenSeq: 10}}, false},
		{"own read cursor alone changes nothing", nil, []shared.Member{{UserID: me, Nickname: "me", SeenSeq: 10}, members[1], {UserID: carol, Nickname: "carol", SeenSeq: 10}}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.members != nil {
				l.Members = st.members
			}
			before := l.lay.b
			store = append(store, st.add...)
			if len(st.add) > 0 {
				rev++
			}
			l.relayout(client.Msgs{Rev: rev, Msgs: store}, now)
			if appended := l.lay.b == before; appended != st.append {
				t.Errorf("kept the builder: %v, want %v", appended, st.append)
			}
			full := &MessageList{Env: &Env{}, ConvID: "c", MeID: me, Members: l.Members, newFrom: 3}
			full.relayout(client.Msgs{Rev: rev, Msgs: slices.Clone(store)}, now)
			// DeepEqual follows the rows' pointers to the messages: the
			// same messages, in another slice.
			if !reflect.DeepEqual(l.rows, full.rows) {
				t.Errorf("rows\n got %s\nwant %s", kinds(l.rows), kinds(full.rows))
				t.Errorf("rows differ:\n got %s\nwant %s", rowsText(l.rows), rowsText(full.rows))
			}
			if !slices.Equal(l.win.keys, full.win.keys) {
				t.Errorf("keys\n got %v\nwant %v", l.win.keys, full.win.keys)
			}
			for k, i := range full.win.index {
				if l.win.index[k] != i {
					t.Errorf("index[%s] = %d, want %d", k, l.win.index[k], i)
				}
			}
			if !slices.Equal(l.win.offs, full.win.offs) {
				t.Errorf("offsets\n got %v\nwant %v", l.win.offs, full.win.offs)
			}
		})
	}
}

// rowsText prints rows with the messages they point at.
func rowsText(rows []listRow) string {
	var b strings.Builder
	for _, r := range rows {
		m := r.Msg
		r.Msg = nil
		fmt.Fprintf(&b, "%+v", r)
		if m != nil {
			fmt.Fprintf(&b, " msg %+v", *m)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestRelayoutOfACopyLaysOutAgain: a slice that does not start where the
// last one did (the engine rebuilt it after an edit, or older history was
// prepended) is never taken for an append.
func TestRelayoutOfACopyLaysOutAgain(t *testing.T) {
	msgs := []client.MsgView{msg(1, 2, "bob", 0), msg(2, 2, "bob", time.Minute)}
	l := &MessageList{Env: &Env{}, ConvID: "c", MeID: 1}
	l.relayout(client.Msgs{Rev: 1, Msgs: msgs}, base)
	b := l.lay.b
	edited := slices.Clone(msgs)
	edited[0].Body = "edited"
	edited = append(edited, msg(3, 2, "bob", 2*time.Minute))
	if !l.relayout(client.Msgs{Rev: 2, Msgs: edited}, base) || l.lay.b == b {
		t.Fatal("a rebuilt slice was taken for an append")
	}
	if l.rows[1].Msg.Body != "edited" {
		t.Fatalf("row 1 = %q, want the edit", l.rows[1].Msg.Body)
	}
	if l.relayout(client.Msgs{Rev: 2, Msgs: edited}, base) {
		t.Fatal("the same revision laid out again")
	}
}
