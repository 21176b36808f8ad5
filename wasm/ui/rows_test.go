package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

var base = time.Date(2025, 6, 18, 10, 0, 0, 0, time.Local)

func msg(seq, sender int64, name string, at time.Duration) client.MsgView {
	return client.MsgView{Message: shared.Message{Seq: seq, SenderID: sender, Sender: name, Body: "m" + itoa(seq),
		Kind: shared.KindText, CreatedAt: base.Add(at)}, State: client.MsgSent}
}

func kinds(rows []listRow) string {
	var b strings.Builder
	for _, r := range rows {
		switch r.Kind {
		case rowDay:
			b.WriteString("D ")
		case rowSeen:
			b.WriteString("S(" + strings.Join(r.Names, ",") + ") ")
		case rowGhosts:
			b.WriteString("G(" + strings.Join(r.Names, ",") + ") ")
		case rowMsg:
			b.WriteString("M" + itoa(r.Msg.Seq))
			if r.First {
				b.WriteString("^")
			}
			if r.Last {
				b.WriteString("$")
			}
			b.WriteString(" ")
		}
	}
	return strings.TrimSpace(b.String())
}

func TestBuildRows(t *testing.T) {
	const me, bob, carol = 1, 2, 3
	seenAt := base.Add(time.Hour)
	tests := []struct {
		name    string
		msgs    []client.MsgView
		members []shared.Member
		viewers []shared.ReadPosition
		want    string
	}{
		{
			name: "groups by sender and gap",
			msgs: []client.MsgView{msg(1, bob, "bob", 0), msg(2, bob, "bob", time.Minute), msg(3, me, "me", 2*time.Minute),
				msg(4, me, "me", 3*time.Minute), msg(5, me, "me", 20*time.Minute)},
			want: "D M1^ M2$ M3^ M4$ M5^$",
		},
		{
			name: "day separator splits groups",
			msgs: []client.MsgView{msg(1, bob, "bob", -11*time.Hour), msg(2, bob, "bob", 0)},
			want: "D M1^$ D M2^$",
		},
		{
			name: "seen by under the last seen message, without me",
			msgs: []client.MsgView{msg(1, me, "me", 0), msg(2, me, "me", time.Minute), msg(3, me, "me", 2*time.Minute)},
			members: []shared.Member{
				{UserID: me, Nickname: "me", SeenSeq: 3},
				{UserID: bob, Nickname: "bob", SeenSeq: 2, SeenAt: &seenAt},
				{UserID: carol, Nickname: "carol", SeenSeq: 2},
			},
			want: "D M1^ M2$ S(bob,carol) M3^$",
		},
		{
			name:    "seen beyond the held messages anchors to the newest held",
			msgs:    []client.MsgView{msg(5, bob, "bob", 0)},
			members: []shared.Member{{UserID: carol, Nickname: "carol", SeenSeq: 9}},
			want:    "D M5^$ S(carol)",
		},
		{
			name:    "ghosts where others read",
			msgs:    []client.MsgView{msg(1, bob, "bob", 0), msg(2, bob, "bob", time.Minute)},
			viewers: []shared.ReadPosition{{UserID: carol, Nickname: "carol", Seq: 1}, {UserID: me, Nickname: "me", Seq: 2}},
			want:    "D M1^$ G(carol) M2^$",
		},
		{
			name: "pending own messages join the own group",
			msgs: []client.MsgView{msg(1, me, "me", 0),
				{Message: shared.Message{Body: "queued"}, State: client.MsgQueued, ActionID: "x", QueuedAt: base.Add(time.Minute)}},
			want: "D M1^ M0$",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kinds(buildRows(tt.msgs, tt.members, tt.viewers, me, base.Add(2*time.Hour)))
			if got != tt.want {
				t.Fatalf("rows\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMessageListRender(t *testing.T) {
	seenAt := base.Add(time.Hour)
	l := &MessageList{
		Env:    &Env{},
		ConvID: "c",
		MeID:   1,
		msgs: []client.MsgView{
			msg(1, 2, "bob", 0),
			{Message: shared.Message{Seq: 2, SenderID: 1, Sender: "me", Body: "<b>bold</b> see https://x.example", CreatedAt: base.Add(time.Minute)}, State: client.MsgSent},
			{Message: shared.Message{SenderID: 1, Body: "later"}, State: client.MsgQueued, ActionID: "act-1", QueuedAt: base.Add(2 * time.Minute)},
			{Message: shared.Message{SenderID: 1, Body: "refused"}, State: client.MsgFailed, Error: "This conversation is closed.", ActionID: "act-2", QueuedAt: base.Add(3 * time.Minute)},
		},
		Members: []shared.Member{{UserID: 1, Nickname: "me", SeenSeq: 2}, {UserID: 2, Nickname: "bob", SeenSeq: 2, SeenAt: &seenAt}},
	}
	l.relayout(client.Msgs{Rev: 1, Msgs: l.msgs}, base)
	l.win.set(0, len(l.rows))
	html := app.HTMLString(l)
	for _, want := range []string{
		`id="messages"`, `class="msg other is-first is-last state-sent"`, `data-seq="1"`,
		`data-state="queued"`, `data-action-id="act-1"`, `Queued`, `data-state="failed"`,
		`Not sent: This conversation is closed.`, `class="btn btn-small btn-secondary retry"`,
		`id="seen-by"`, `Seen by bob`, `&lt;b&gt;bold&lt;/b&gt;`, `href="https://x.example"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(html, "<b>bold") {
		t.Error("message body rendered as HTML")
	}
	if t.Failed() {
		t.Log(html)
	}
}

func TestConnLabel(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		st    client.Status
		label string
		retry bool
	}{
		{"connected", client.Status{State: client.StateConnected, CaughtUp: true}, "Connected", false},
		{"syncing", client.Status{State: client.StateConnected}, "Syncing…", false},
		{"reconnecting", client.Status{State: client.StateReconnecting, NextRetry: now.Add(4200 * time.Millisecond)}, "Reconnecting", true},
		{"offline", client.Status{State: client.StateOffline}, "Offline — changes queued", true},
		{"zero value", client.Status{}, "Connecting…", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label, countdown, retry := connLabel(tt.st, now)
			if label != tt.label || retry != tt.retry {
				t.Fatalf("got %q retry=%v, want %q retry=%v", label, retry, tt.label, tt.retry)
			}
			if tt.st.State == client.StateReconnecting && countdown != "in 5s" {
				t.Fatalf("countdown %q, want \"in 5s\"", countdown)
			}
		})
	}
}

func TestSeenByNotUnderOwnMessage(t *testing.T) {
	const me, bob = 1, 2
	msgs := []client.MsgView{msg(1, me, "me", 0), msg(2, bob, "bob", time.Minute)}
	members := []shared.Member{{UserID: bob, Nickname: "bob", SeenSeq: 2}}
	if got, want := kinds(buildRows(msgs, members, nil, me, base)), "D M1^$ S(bob) M2^$"; got != want {
		t.Fatalf("rows\n got %s\nwant %s", got, want)
	}
}

func TestTitle(t *testing.T) {
	c := shared.Conversation{Title: "alice, bob, carol", Members: []shared.Member{
		{UserID: 1, Nickname: "alice"}, {UserID: 2, Nickname: "bob"}, {UserID: 3, Nickname: "carol"}}}
	tests := []struct {
		name string
		conv shared.Conversation
		me   int64
		want string
	}{
		{"derived without me", c, 1, "bob, carol"},
		{"unknown me", c, 0, "alice, bob, carol"},
		{"named", shared.Conversation{Title: "Trip", Named: true, Members: c.Members}, 1, "Trip"},
		{"alone", shared.Conversation{Title: "alice", Members: c.Members[:1]}, 1, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.conv, tt.me); got != tt.want {
				t.Fatalf("Title = %q, want %q", got, tt.want)
			}
		})
	}
}
