package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// A node goes down while a device is sending with actions in flight. The
// device reconnects to another node and replays its whole outbox (acks may
// have been lost with the node): every message exists once, in the order
// sent, and someone on a third node converges to exactly that.
func TestNodeDiesWhileSending(t *testing.T) {
	eachBroker(t, func(t *testing.T, nodes []*webtest.Server) {
		ann, ha := nodes[0].MustSignUp(t, "ann")
		bob, hb := nodes[2].MustSignUp(t, "bob")
		wa := nodes[0].MustConnect(t, ha, nil)
		conv := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation

		const n = 60
		ids := make([]string, n)
		body := func(i int) string { return fmt.Sprintf("message %d", i) }
		for i := range ids {
			ids[i] = shared.NewUUIDv7()
			// Errors are expected once the node is gone.
			_ = wa.Send(shared.TypeMessageSend, ids[i], shared.MessageSend{ConversationID: conv.ID, Body: body(i)})
		}
		wa.MustReply(t, ids[0]) // the node dies mid-stream, not before it began
		nodes[0].Stop(t)

		wa2 := nodes[1].MustConnect(t, ha, map[string]int64{conv.ID: 0})
		for i, id := range ids {
			wa2.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: body(i)})
		}
		for i, id := range ids {
			env := wa2.MustReply(t, id)
			ack := decode[shared.Ack](t, env)
			if env.Type != shared.TypeAck || ack.Message == nil || ack.Message.Seq != int64(i+1) || ack.Message.Body != body(i) {
				t.Fatalf("replayed action %d: %s %s", i, env.Type, env.Data)
			}
		}

		h, err := nodes[1].Store.History(context.Background(), ann.ID, conv.ID, 0, shared.HistoryPageMax)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, m := range h.Messages {
			seqs = append(seqs, m.Seq)
		}
		slices.Sort(seqs)
		if len(seqs) != n || seqs[0] != 1 || seqs[n-1] != n {
			t.Fatalf("stored seqs %v: want 1..%d once each", seqs, n)
		}

		// Live events still crossing from the other node may come before
		// or within the replay: the client merges by seq, as here.
		wb := nodes[2].MustConnect(t, hb, map[string]int64{conv.ID: 0})
		var got []int64
		for _, e := range wb.Replay {
			if e.Type == shared.TypeMessageCreated {
				m := decode[shared.Message](t, e)
				if m.Body != body(int(m.Seq-1)) {
					t.Fatalf("seq %d holds %q", m.Seq, m.Body)
				}
				got = append(got, m.Seq)
			}
		}
		slices.Sort(got)
		if got = slices.Compact(got); len(got) != n || got[0] != 1 || got[n-1] != n {
			t.Fatalf("bob's replay: %v; want 1..%d", got, n)
		}
	})
}

// Sign-in guesses spread over the nodes meet one limit: the eight failures
// an address gets on an account are the cluster's, not each node's.
func TestSignInThrottleAcrossNodes(t *testing.T) {
	nodes := webtest.MustCluster(t, 3, brokers[0].make(t))
	u, _ := nodes[0].MustSignUp(t, "target")
	status := func(node int, pw string) int {
		t.Helper()
		res := nodes[node].MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: u.Nickname, Password: pw}, nil)
		return res.StatusCode
	}
	for i := range 8 {
		if s := status(i%3, fmt.Sprint("guess ", i)); s != http.StatusUnauthorized {
			t.Fatalf("guess %d on node %d: status %d, want 401", i, i%3, s)
		}
	}
	for node := range nodes {
		if s := status(node, "one more guess"); s != http.StatusTooManyRequests {
			t.Fatalf("ninth guess on node %d: status %d, want 429", node, s)
		}
	}
}

// A reconnect storm spread over the nodes meets one limit: connection opens
// per minute are counted for the cluster, the backstop behind the per-node
// cap on live connections.
func TestReconnectStormAcrossNodes(t *testing.T) {
	const perMinute = 5
	nodes := webtest.MustCluster(t, 3, brokers[0].make(t), func(c *web.Config) { c.Chat.Limits.OpensPerMinute = perMinute })
	_, h := nodes[0].MustSignUp(t, "mallory")
	_, hb := nodes[0].MustSignUp(t, "bob")
	for i := range perMinute {
		w := nodes[i%3].MustConnect(t, h, nil)
		w.Conn.CloseNow()
	}
	for i, node := range nodes {
		env := node.MustDial(t, h).MustNext(t)
		if e := decode[shared.Error](t, env); env.Type != shared.TypeError || e.Code != shared.CodeTooManyConnections {
			t.Fatalf("open past the cluster's rate on node %d: %s %s", i, env.Type, env.Data)
		}
	}
	nodes[2].MustConnect(t, hb, nil) // someone else is not affected
}
