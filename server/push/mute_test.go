package push_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"natter/server/push/pushtest"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestMuteAction: conversation.mute over the WebSocket is applied once per
// action id (a replay gets the first result and changes nothing), reaches
// the person's other device live and every device in caught_up, silences
// pushes, and is refused to a stranger and for bad input.
func TestMuteAction(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	alice, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	_, mh := srv.MustSignUp(t, "mallory")
	tablet := svc.NewDevice(t, "bob-tablet")
	subscribe(t, srv, signInAgain(t, srv, bob), tablet)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "Noisy", bob.ID)
	if p := svc.Next(t, tablet.Name, wait); p.Payload.Body != alice.Nickname+" started a conversation with you" {
		t.Fatalf("being added: %+v", p.Payload)
	}

	w1 := srv.MustConnect(t, bh, nil)
	w2 := srv.MustConnect(t, signInAgain(t, srv, bob), nil)
	id := shared.NewUUIDv7()
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	w1.MustSend(t, shared.TypeConversationMute, id, shared.ConversationMute{ConversationID: conv.ID, Until: &until})
	ack := w1.MustReply(t, id)
	var a shared.Ack
	json.Unmarshal(ack.Data, &a)
	if ack.Type != shared.TypeAck || a.Mute == nil || !a.Mute.Until.Equal(until) {
		t.Fatalf("ack = %s %s", ack.Type, ack.Data)
	}
	env := w2.MustAwait(t, "mute.changed on the other device", func(e shared.Envelope) bool { return e.Type == shared.TypeMuteChanged })
	var m shared.Mute
	json.Unmarshal(env.Data, &m)
	if m.ConversationID != conv.ID || m.Until == nil || !m.Until.Equal(until) {
		t.Fatalf("mute.changed = %s", env.Data)
	}

	// The replay of the same action, after an unmute, returns the first
	// result and does not mute again.
	w2.MustAck(t, shared.TypeConversationMute, shared.ConversationMute{ConversationID: conv.ID})
	w1.MustSend(t, shared.TypeConversationMute, id, shared.ConversationMute{ConversationID: conv.ID, Until: &until})
	if rep := w1.MustReply(t, id); rep.Type != shared.TypeAck {
		t.Fatalf("replay = %s %s", rep.Type, rep.Data)
	}
	if u, err := srv.Store.MutedUntil(t.Context(), bob.ID, conv.ID); err != nil || u != nil {
		t.Fatalf("after the replay muted until %v, %v: it ran twice", u, err)
	}

	// Muted for good: a device that connects learns it in caught_up, and
	// the tablet gets no push.
	w1.MustAck(t, shared.TypeConversationMute, shared.ConversationMute{ConversationID: conv.ID, Forever: true})
	w3 := srv.MustConnect(t, signInAgain(t, srv, bob), nil)
	if len(w3.CaughtUp.Mutes) != 1 || !w3.CaughtUp.Mutes[0].Active(time.Now().Add(1000*24*time.Hour)) {
		t.Fatalf("caught_up mutes = %+v", w3.CaughtUp.Mutes)
	}
	send(t, wa, conv.ID, "shh")
	other := startConv(t, wa, "Quiet", bob.ID)
	svc.Next(t, tablet.Name, wait) // started a conversation with you
	send(t, wa, other.ID, "control")
	if p := svc.Next(t, tablet.Name, wait); p.Payload.Body != alice.Nickname+": control" {
		t.Fatalf("muted conversation pushed: %+v", p.Payload)
	}

	// A stranger cannot mute it; bad input changes nothing.
	wm := srv.MustConnect(t, mh, nil)
	if e := wm.MustError(t, shared.TypeConversationMute, shared.NewUUIDv7(), shared.ConversationMute{ConversationID: conv.ID, Forever: true}); e.Code != shared.CodeNotFound {
		t.Fatalf("stranger: %+v", e)
	}
	far := time.Now().Add(5 * 365 * 24 * time.Hour)
	if e := w1.MustError(t, shared.TypeConversationMute, shared.NewUUIDv7(), shared.ConversationMute{ConversationID: conv.ID, Until: &far}); e.Code != shared.CodeInvalid || e.Field != "until" {
		t.Fatalf("too far: %+v", e)
	}
	if e := w1.MustError(t, shared.TypeConversationMute, "", shared.ConversationMute{ConversationID: conv.ID}); e.Code != shared.CodeMalformed {
		t.Fatalf("no action id: %+v", e)
	}
	if u, _ := srv.Store.MutedUntil(t.Context(), bob.ID, conv.ID); u == nil || !u.Equal(shared.MuteForever) {
		t.Fatalf("muted until %v after refused changes", u)
	}
}

// TestLoudThroughMute: Config.Loud (the hook for @mentions) reaches a
// member who muted the conversation; other messages stay silent for them.
func TestLoudThroughMute(t *testing.T) {
	svc := pushtest.Start(t)
	var bobID int64
	srv := webtest.MustServer(t, func(c *web.Config) {
		withPush(svc)(c)
		c.Push.Loud = func(_ context.Context, m shared.Message) []int64 {
			if strings.Contains(m.Body, "@bob") {
				return []int64{bobID}
			}
			return nil
		}
	})
	alice, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	bobID = bob.ID
	phone := svc.NewDevice(t, "bob-phone")
	subscribe(t, srv, bh, phone)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "Team", bob.ID)
	svc.Next(t, phone.Name, wait) // started a conversation with you
	if _, err := srv.Store.MuteConversation(t.Context(), bob.ID, shared.NewUUIDv7(), conv.ID, &shared.MuteForever); err != nil {
		t.Fatal(err)
	}
	send(t, wa, conv.ID, "lunch?")
	send(t, wa, conv.ID, "@bob lunch?")
	if p := svc.Next(t, phone.Name, wait); p.Payload.Body != alice.Nickname+": @bob lunch?" {
		t.Fatalf("push = %+v", p.Payload)
	}
}

// TestMentionPushesThroughMute: with the default Config.Loud, a message
// that @mentions bob by his nickname is pushed to him although he muted
// the conversation; the same mention from someone he blocked is not, and
// a message without a mention stays silent.
func TestMentionPushesThroughMute(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	alice, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	mallory, mh := srv.MustSignUp(t, "mallory")
	phone := svc.NewDevice(t, "bob-phone")
	subscribe(t, srv, bh, phone)
	wa, wm := srv.MustConnect(t, ah, nil), srv.MustConnect(t, mh, nil)
	team := startConv(t, wa, "Team", bob.ID, mallory.ID)
	svc.Next(t, phone.Name, wait) // alice started a conversation with you
	other := startConv(t, wa, "Other", bob.ID)
	svc.Next(t, phone.Name, wait)
	if _, err := srv.Store.BlockUser(t.Context(), bob.ID, mallory.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.MuteConversation(t.Context(), bob.ID, shared.NewUUIDv7(), team.ID, &shared.MuteForever); err != nil {
		t.Fatal(err)
	}
	send(t, wa, team.ID, "lunch?")
	send(t, wm, team.ID, "@"+bob.Nickname+" from mallory")
	send(t, wa, team.ID, "@"+strings.ToUpper(bob.Nickname)+" lunch?")
	if p := svc.Next(t, phone.Name, wait); p.Payload.Body != alice.Nickname+": @"+strings.ToUpper(bob.Nickname)+" lunch?" || p.Payload.Title != "Team" {
		t.Fatalf("the first push through the mute = %+v, want alice's mention", p.Payload)
	}
	send(t, wa, other.ID, "control")
	if p := svc.Next(t, phone.Name, wait); p.Payload.Body != alice.Nickname+": control" {
		t.Fatalf("control push = %+v", p.Payload)
	}
	srv.Stop(t)
	if left := svc.Pending(phone.Name); len(left) != 0 {
		t.Fatalf("more pushes: %+v", left[0].Payload)
	}
}
