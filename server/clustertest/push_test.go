package clustertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestPushOncePerMessage: with three nodes, each message pushes exactly
// once to each closed device, whichever node committed it and however
// often its send was replayed; a device connected to another node than
// the sender's gets none (the nodes tell each other their devices).
func TestPushOncePerMessage(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			svc := pushtest.Start(t)
			nodes := webtest.MustCluster(t, 3, b.make(t), func(c *web.Config) {
				c.Push = &push.Config{AllowPrivate: true, HTTPClient: svc.Client(), Backoff: 5 * time.Millisecond}
			})
			_, ah := nodes[0].MustSignUp(t, "alice")
			bob, bh := nodes[0].MustSignUp(t, "bob")
			phone, laptop := svc.NewDevice(t, "phone"), svc.NewDevice(t, "laptop")
			lh := signIn(t, nodes[0], bob)
			for _, s := range []struct {
				h http.Header
				d *pushtest.Device
			}{{bh, phone}, {lh, laptop}} {
				if res := nodes[0].MustPost(t, shared.APIPushSub, s.h, s.d.Subscription(), nil); res.StatusCode != http.StatusNoContent {
					t.Fatalf("subscribe: %d", res.StatusCode)
				}
			}
			conns := make([]*webtest.WS, len(nodes))
			for i, n := range nodes {
				conns[i] = n.MustConnect(t, ah, nil)
			}
			conv := *conns[0].MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation

			// Bob's laptop is open on node 2: once node 0 knows it, the
			// laptop gets no push for messages committed on node 0.
			wl := nodes[2].MustConnect(t, lh, nil)
			waitFor(t, "node 0 to learn the laptop is connected on node 2", func() bool {
				return nodes[0].Hub.DeviceConnected(sessionOf(t, nodes[0], lh))
			})

			const perNode = 3
			want := map[string]bool{}
			for round := range perNode {
				for i, w := range conns {
					body := "m" + string(rune('a'+i)) + string(rune('0'+round))
					id := shared.NewUUIDv7()
					req := shared.MessageSend{ConversationID: conv.ID, Body: body}
					w.MustSend(t, shared.TypeMessageSend, id, req)
					w.MustReply(t, id)
					// The same action again, as after a lost ack, through
					// another node: the same message, no second push.
					other := conns[(i+1)%len(conns)]
					other.MustSend(t, shared.TypeMessageSend, id, req)
					other.MustReply(t, id)
					want[body] = true
				}
			}
			got := map[string]int{}
			for range len(want) + 1 { // and being added, once
				p := svc.Next(t, phone.Name, webtest.Timeout)
				got[bodyOf(p)]++
			}
			wl.Conn.CloseNow()
			for _, n := range nodes {
				n.Stop(t) // waits for pushes in flight
			}
			for _, p := range svc.Pending(phone.Name) {
				got[bodyOf(p)]++
			}
			if got[""] != 1 {
				t.Errorf("being added pushed %d times", got[""])
			}
			delete(got, "")
			for body := range want {
				if got[body] != 1 {
					t.Errorf("message %s pushed %d times", body, got[body])
				}
			}
			if len(got) != len(want) {
				t.Errorf("pushes %v, want one for each of %v", got, want)
			}
			for _, p := range svc.Pending(laptop.Name) {
				if strings.HasPrefix(bodyOf(p), "ma") {
					t.Errorf("the laptop connected on node 2 got a push from node 0: %+v", p.Payload)
				}
			}
		})
	}
}

func signIn(t *testing.T, srv *webtest.Server, u shared.User) http.Header {
	t.Helper()
	res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: u.Nickname + "@example.com", Password: "correct horse battery"}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	return webtest.SessionHeader(res)
}

// sessionOf is the id of the session of a Cookie header.
func sessionOf(t *testing.T, srv *webtest.Server, h http.Header) int64 {
	t.Helper()
	var ds shared.PushDevices
	srv.MustDo(t, http.MethodGet, shared.APIPushDevices, h, nil, &ds)
	var id int64
	for _, d := range ds.Devices {
		if d.Current {
			if err := srv.Store.DB.NewRaw(`SELECT session_id FROM push_subscriptions WHERE id = ?`, d.ID).Scan(t.Context(), &id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if id == 0 {
		t.Fatal("no current device")
	}
	return id
}

// waitFor waits, bounded, for what another node learns through the
// broker with no event the test can await.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(webtest.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bodyOf is the message text of a push (in a one-to-one the body is the
// text alone), or "" for the push saying the conversation was started.
func bodyOf(p pushtest.Push) string {
	if strings.Contains(p.Payload.Body, "started a conversation") {
		return ""
	}
	return p.Payload.Body
}
