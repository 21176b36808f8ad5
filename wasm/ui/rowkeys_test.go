package ui

import (
	"strings"
	"testing"
	"time"

	"natter/shared"
	"natter/wasm/client"
)

// Row keys stay with their rows when older messages are prepended, so the
// reader's anchor and the measured heights survive; the divider sits above
// the first unread message from someone else, day included.
func TestRowKeysAndNewDivider(t *testing.T) {
	day2 := 26 * time.Hour
	msgs := []client.MsgView{msg(10, 2, "bob", 0), msg(11, 1, "me", time.Minute), msg(12, 2, "bob", day2), msg(13, 2, "bob", day2+time.Minute)}
	members := []shared.Member{{UserID: 1, Nickname: "me"}, {UserID: 2, Nickname: "bob", SeenSeq: 11}}
	rows := buildRows(msgs, members, nil, 1, base.Add(48*time.Hour))
	keys := rowKeys(rows)
	if got, want := strings.Join(keys, " "), "day:s10 s10 s11 seen:s11 day:s12 s12 s13"; got != want {
		t.Fatalf("keys %q, want %q", got, want)
	}
	older := append([]client.MsgView{msg(8, 2, "bob", -time.Minute), msg(9, 2, "bob", -30*time.Second)}, msgs...)
	again := rowKeys(buildRows(older, members, nil, 1, base.Add(48*time.Hour)))
	for _, k := range []string{"s10", "s11", "seen:s11", "day:s12", "s13"} {
		if !strings.Contains(" "+strings.Join(again, " ")+" ", " "+k+" ") {
			t.Errorf("key %s lost when older messages arrived: %v", k, again)
		}
	}

	withDiv, at := dividedRows(msgs, members, 11) // 11 is mine: the divider goes above 12, and above its day
	if at != 4 || withDiv[at].Kind != rowNew || withDiv[at+1].Kind != rowDay || withDiv[at+2].Msg.Seq != 12 {
		t.Fatalf("divider at %d: %s", at, kinds(withDiv))
	}
	if k := rowKeys(withDiv)[at]; k != newRowKey {
		t.Fatalf("divider key %q", k)
	}
	if _, at := dividedRows(msgs, members, 14); at != -1 {
		t.Fatalf("a divider with nothing unread, at %d", at)
	}
	if _, at := dividedRows(msgs, members, 0); at != -1 {
		t.Fatal("a divider without a first unread seq")
	}
}

// dividedRows lays out msgs with the "New" divider from seq from, and
// returns the rows and where the divider is, or -1.
func dividedRows(msgs []client.MsgView, members []shared.Member, from int64) ([]listRow, int) {
	b := newRowBuilder(msgs, members, nil, 1, base.Add(48*time.Hour), from)
	for i := range msgs {
		b.add(&msgs[i])
	}
	for i, r := range b.rows {
		if r.Kind == rowNew {
			return b.rows, i
		}
	}
	return b.rows, -1
}
