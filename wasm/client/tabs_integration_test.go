//go:build !js

package client_test

import (
	"context"
	"testing"

	"natter/server/webtest"
	"natter/wasm/client"
)

// Two tabs share one storage: only the sender tab sends; the other queues
// into the shared outbox and learns through pings (the BroadcastChannel in
// the browser) what the sender did.
func TestTwoTabsOneSender(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	st := client.NewMemoryStorage()
	var sender, other *client.Engine
	mk := func(isSender bool, ping func() *client.Engine) *client.Engine {
		e := client.New(client.Config{Storage: st,
			Transport:      &client.WebSocketTransport{URL: srv.WSURL, Header: ann.header},
			OnOutboxChange: func() { ping().ReloadOutbox() }})
		e.SetSender(isSender)
		e.Start(context.Background())
		t.Cleanup(e.Stop)
		return e
	}
	sender = mk(true, func() *client.Engine { return other })
	other = mk(false, func() *client.Engine { return sender })
	s, o := &engine{Engine: sender, st: st}, &engine{Engine: other, st: st}
	s.waitCaughtUp(t)
	o.waitCaughtUp(t)

	id, err := other.Send(conv, "from the quiet tab")
	if err != nil {
		t.Fatal(err)
	}
	o.waitAcked(t)
	for name, e := range map[string]*engine{"sender": s, "other": o} {
		e.wait(t, name+" shows it sent", func() bool {
			ms := e.Messages(conv)
			return len(ms) == 1 && ms[0].State == client.MsgSent && ms[0].ActionID == id
		})
		if ob := e.State().Outbox; len(ob) != 0 {
			e.wait(t, name+" outbox empty", func() bool { return len(e.State().Outbox) == 0 })
		}
	}
	checkExactlyOnce(t, mustHistory(t, srv, ann, conv), []string{"from the quiet tab"})
}
