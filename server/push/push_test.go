package push_test

import (
	"net/http"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const wait = webtest.Timeout

// withPush turns Web Push on, sending to svc on loopback.
func withPush(svc *pushtest.Service) webtest.Option {
	return func(c *web.Config) {
		c.Push = &push.Config{AllowPrivate: true, HTTPClient: svc.Client(), Backoff: 5 * time.Millisecond, Subject: "mailto:ops@example.com"}
	}
}

func subscribe(t *testing.T, srv *webtest.Server, hdr http.Header, d *pushtest.Device) {
	t.Helper()
	if res := srv.MustPost(t, shared.APIPushSub, hdr, d.Subscription(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe %s: status %d", d.Name, res.StatusCode)
	}
}

func startConv(t *testing.T, ws *webtest.WS, title string, ids ...int64) shared.Conversation {
	t.Helper()
	ack := ws.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: ids})
	return *ack.Conversation
}

func send(t *testing.T, ws *webtest.WS, convID, body string) shared.Message {
	t.Helper()
	return *ws.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: convID, Body: body}).Message
}

// TestPushDecrypted: a member with every tab closed gets one push per
// message, which decrypts (RFC 8291) to the sender, the conversation and a
// preview, with the conversation's tag and deep link, a TTL, high urgency
// and a per-conversation topic, signed with the server's VAPID key.
func TestPushDecrypted(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	alice, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	phone := svc.NewDevice(t, "bob-phone")
	subscribe(t, srv, bh, phone)

	var key shared.PushKey
	if res := srv.MustDo(t, http.MethodGet, shared.APIVAPIDKey, bh, nil, &key); res.StatusCode != http.StatusOK || len(key.Key) != 87 {
		t.Fatalf("key = %q, status %d", key.Key, res.StatusCode)
	}

	wa := srv.MustConnect(t, ah, nil)
	direct := startConv(t, wa, "", bob.ID)
	if p := svc.Next(t, phone.Name, wait); p.Err != nil || p.Payload.Title != alice.Nickname || p.Payload.Body != alice.Nickname+" started a conversation with you" {
		t.Fatalf("being added: %+v, %v", p.Payload, p.Err)
	}
	send(t, wa, direct.ID, "hello   bob,\nare you there?")
	p := svc.Next(t, phone.Name, wait)
	if p.Err != nil {
		t.Fatalf("decrypt: %v", p.Err)
	}
	want := shared.PushPayload{Title: alice.Nickname, Body: "hello bob, are you there?",
		Tag: shared.PushTag(direct.ID), Path: shared.ConversationPath(direct.ID), Badge: 1}
	if p.Payload != want {
		t.Fatalf("payload = %+v\nwant      %+v", p.Payload, want)
	}
	if p.TTL != 86400 || p.Urgency != "high" || len(p.Topic) != 32 || p.VAPIDKey != key.Key || !p.VAPIDValid {
		t.Fatalf("headers: TTL %d urgency %q topic %q key %q valid %v", p.TTL, p.Urgency, p.Topic, p.VAPIDKey, p.VAPIDValid)
	}

	// A second message replaces the first (same tag and topic) and counts
	// in the badge; a group has its own topic.
	send(t, wa, direct.ID, "second")
	p2 := svc.Next(t, phone.Name, wait)
	if p2.Payload.Tag != want.Tag || p2.Topic != p.Topic || p2.Payload.Badge != 2 {
		t.Fatalf("second push = %+v topic %q", p2.Payload, p2.Topic)
	}
	group := startConv(t, wa, "Team", bob.ID)
	svc.Next(t, phone.Name, wait) // started a conversation with you
	send(t, wa, group.ID, "standup")
	p3 := svc.Next(t, phone.Name, wait)
	if p3.Payload.Title != "Team" || p3.Payload.Body != alice.Nickname+": standup" || p3.Topic == p.Topic {
		t.Fatalf("group push = %+v topic %q", p3.Payload, p3.Topic)
	}

	// Hide previews: only "New message".
	if res := srv.MustDo(t, http.MethodPut, shared.APIPushSettings, bh, shared.PushSettings{HidePreviews: true}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	send(t, wa, group.ID, "secret plans")
	if p := svc.Next(t, phone.Name, wait); p.Payload.Body != "New message" || p.Payload.Title != "Team" {
		t.Fatalf("hidden preview push = %+v", p.Payload)
	}
	if left := svc.Pending(phone.Name); len(left) != 0 {
		t.Fatalf("extra pushes: %+v", left)
	}
}

// TestPushNothing: the sender's own devices, a muted conversation, a
// device with a connected (hidden) tab and a member with a visible tab on
// the conversation get no push. Each case is followed by a message that
// must push; at the end the server is stopped (which waits for the pushes
// in flight) and nothing else may have come.
func TestPushNothing(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	alice, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	aliceLaptop := svc.NewDevice(t, "alice-laptop")
	subscribe(t, srv, ah, aliceLaptop)
	phone := svc.NewDevice(t, "bob-phone")
	subscribe(t, srv, bh, phone)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "Plans", bob.ID)
	other := startConv(t, wa, "Other", bob.ID)
	for range 2 { // being added to each; alice's laptop hears of neither
		if p := svc.Next(t, phone.Name, wait); p.Payload.Body != alice.Nickname+" started a conversation with you" {
			t.Fatalf("being added: %+v", p.Payload)
		}
	}
	expect := func(d *pushtest.Device, what, body string) {
		t.Helper()
		if p := svc.Next(t, d.Name, wait); p.Payload.Body != alice.Nickname+": "+body {
			t.Fatalf("%s: %s got %+v, want %q", what, d.Name, p.Payload, body)
		}
	}

	// Own messages: bob's phone hears of it, alice's laptop never does
	// (checked at the end).
	send(t, wa, conv.ID, "mine")
	expect(phone, "own", "mine")

	// Muted: nothing; the next message elsewhere comes first.
	until := time.Now().Add(time.Hour)
	if _, err := srv.Store.MuteConversation(t.Context(), bob.ID, shared.NewUUIDv7(), conv.ID, &until); err != nil {
		t.Fatal(err)
	}
	send(t, wa, conv.ID, "while muted")
	send(t, wa, other.ID, "control 1")
	expect(phone, "muted", "control 1")
	if _, err := srv.Store.MuteConversation(t.Context(), bob.ID, shared.NewUUIDv7(), conv.ID, nil); err != nil {
		t.Fatal(err)
	}

	// A connected tab, hidden (not viewing): that device shows a local
	// notification, so no push to it; bob's closed tablet gets it.
	wb := srv.MustConnect(t, bh, nil)
	tablet := svc.NewDevice(t, "bob-tablet")
	subscribe(t, srv, signInAgain(t, srv, bob), tablet)
	send(t, wa, conv.ID, "while connected")
	expect(tablet, "hidden tab elsewhere", "while connected")

	// A visible tab on the conversation: bob is reading it there, none of
	// his devices is pushed.
	wb.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 1})
	wb.MustAwait(t, "bob's own presence", func(e shared.Envelope) bool { return e.Type == shared.TypePresence })
	send(t, wa, conv.ID, "while viewing")
	send(t, wa, other.ID, "control 2")
	expect(tablet, "viewing", "control 2")

	if c := srv.Web.Push().Counts(); c["skipped_viewing"] == 0 || c["skipped_connected"] == 0 {
		t.Errorf("counts = %v: the viewing and connected rules were never what held a push back", c)
	}
	srv.Stop(t)
	if left := svc.Pending(aliceLaptop.Name); len(left) != 0 {
		t.Errorf("the sender's own device got %+v", left[0].Payload)
	}
	if left := svc.Pending(phone.Name); len(left) != 0 {
		t.Errorf("bob's connected phone got %+v", left[0].Payload)
	}
	if left := svc.Pending(tablet.Name); len(left) != 0 {
		t.Errorf("bob's tablet got %+v", left[0].Payload)
	}
}

// signInAgain opens another session (another device) for u, made by
// webtest.MustSignUp.
func signInAgain(t *testing.T, srv *webtest.Server, u shared.User) http.Header {
	t.Helper()
	res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: u.Nickname + "@example.com", Password: "correct horse battery"}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign in again: %d", res.StatusCode)
	}
	return webtest.SessionHeader(res)
}

// TestPushAdded: people added to a conversation, or with whom one is
// started, are pushed once, however often the action is replayed; the
// one who added them is not.
func TestPushAdded(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	alice, ah := srv.MustSignUp(t, "alice")
	bob, _ := srv.MustSignUp(t, "bob")
	carol, ch := srv.MustSignUp(t, "carol")
	laptop, tablet := svc.NewDevice(t, "alice-laptop"), svc.NewDevice(t, "carol-tablet")
	subscribe(t, srv, ah, laptop)
	subscribe(t, srv, ch, tablet)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "Book club", bob.ID)
	id := shared.NewUUIDv7()
	for range 2 { // the same action twice, as after a lost ack
		wa.MustSend(t, shared.TypeMemberAdd, id, shared.MemberChange{ConversationID: conv.ID, UserID: carol.ID})
		if r := wa.MustReply(t, id); r.Type != shared.TypeAck {
			t.Fatalf("add: %s %s", r.Type, r.Data)
		}
	}
	p := svc.Next(t, tablet.Name, wait)
	if p.Err != nil || p.Payload.Title != "Book club" || p.Payload.Body != alice.Nickname+" added you to this conversation" ||
		p.Payload.Path != shared.ConversationPath(conv.ID) {
		t.Fatalf("added push = %+v, %v", p.Payload, p.Err)
	}
	send(t, wa, conv.ID, "chapter 3")
	if p := svc.Next(t, tablet.Name, wait); p.Payload.Body != alice.Nickname+": chapter 3" {
		t.Fatalf("then the message: %+v", p.Payload)
	}
	srv.Stop(t)
	if left := svc.Pending(tablet.Name); len(left) != 0 {
		t.Errorf("carol was told again: %+v", left[0].Payload)
	}
	if left := svc.Pending(laptop.Name); len(left) != 0 {
		t.Errorf("alice's own device was told: %+v", left[0].Payload)
	}
}
