package push_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

// syncBuffer is a log sink the sender's goroutines may write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPushFailureLoggedWithoutPayload: a push service that keeps failing
// is logged with its host and status, never with the message, the
// endpoint's path (the device's address at the push service, which the
// HTTP client's errors quote in full) or the subscription's keys; /metrics
// counts each failure by reason.
func TestPushFailureLoggedWithoutPayload(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t) // no pusher of its own: this test's one sends
	alice, _ := srv.MustSignUp(t, "alice")
	bob, _ := srv.MustSignUp(t, "bob")
	phone := svc.NewDevice(t, "bob-phone")
	svc.SetStatus(phone.Name, http.StatusServiceUnavailable)
	sub := phone.Subscription()
	var sess int64
	if err := srv.Store.DB.NewRaw(`SELECT id FROM sessions WHERE user_id = ? LIMIT 1`, bob.ID).Scan(context.Background(), &sess); err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.SavePushSubscription(context.Background(), bob.ID, sess, sub); err != nil {
		t.Fatal(err)
	}
	conv, err := srv.Store.CreateConversation(context.Background(), alice.ID, shared.NewUUIDv7(),
		shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "the launch code is 0000"
	res := srv.Store.SendMessages(context.Background(), []store.SendRequest{{UserID: alice.ID, ActionID: shared.NewUUIDv7(), ConversationID: conv.ID, Body: secret}})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}

	// A second device of bob's whose push service is unreachable: a
	// network error, which the HTTP client words with the whole endpoint.
	dead := shared.PushSubscription{Endpoint: "https://127.0.0.1:1/wpush/v2/device-secret-path", Device: "dead"}
	dead.Keys = sub.Keys
	if err := srv.Store.SavePushSubscription(context.Background(), bob.ID, 0, dead); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	p := push.New(push.Config{AllowPrivate: true, HTTPClient: svc.Client(), Backoff: time.Millisecond, Retries: 1},
		srv.Store, srv.Hub, slog.New(slog.NewTextHandler(&logs, nil)))
	defer p.Close()
	p.Notify(res[0].Message)
	for range 2 { // the first try and one retry
		if got := svc.Next(t, phone.Name, wait); got.Status != http.StatusServiceUnavailable || string(got.Plain) == "" {
			t.Fatalf("push = %+v", got)
		}
	}
	eventually(t, "both failures counted", func() bool {
		c := p.Counts()
		return c["failed_status"] == 1 && c["failed_network"] == 1
	})
	out := logs.String()
	u, _ := url.Parse(sub.Endpoint)
	if !strings.Contains(out, "host="+u.Host) || !strings.Contains(out, "status=503") || !strings.Contains(out, "host=127.0.0.1:1 status=0 reason=network") {
		t.Fatalf("the failures are not logged with host and status:\n%s", out)
	}
	for _, leak := range []string{secret, "launch", u.Path, "device-secret-path", sub.Keys.Auth, sub.Keys.P256dh} {
		if strings.Contains(out, leak) {
			t.Fatalf("the log holds %q:\n%s", leak, out)
		}
	}
	var m bytes.Buffer
	p.WriteMetrics(&m)
	if !strings.Contains(m.String(), `natter_push_failed_total{reason="status"} 1`) || !strings.Contains(m.String(), `natter_push_failed_total{reason="network"} 1`) ||
		!strings.Contains(m.String(), "natter_push_retries_total 2") {
		t.Fatalf("metrics:\n%s", m.String())
	}
}
