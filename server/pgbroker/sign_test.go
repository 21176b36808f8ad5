package pgbroker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"natter/server/pgtest"
)

func TestSignerOpen(t *testing.T) {
	s := signer{key: []byte(strings.Repeat("k", keySize))}
	other := signer{key: []byte(strings.Repeat("o", keySize))}
	good := s.sign(`{"o":"x"}`)
	tests := []struct {
		name   string
		signed string
		ok     bool
	}{
		{"signed", good, true},
		{"unsigned", `{"o":"x"}`, false},
		{"empty", "", false},
		{"other key", other.sign(`{"o":"x"}`), false},
		{"payload changed", good[:sigRoom] + `{"o":"y"}`, false},
		{"signature cut", good[1:], false},
		{"signature not base64", strings.Repeat("!", sigRoom-1) + `.{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ok := s.open(tt.signed)
			if ok != tt.ok || ok && body != `{"o":"x"}` {
				t.Fatalf("open = %q, %v; want ok %v", body, ok, tt.ok)
			}
		})
	}
}

// TestSignedPayloadsFit: signing never pushes a payload over MaxPayload.
func TestSignedPayloadsFit(t *testing.T) {
	s := signer{key: make([]byte, keySize)}
	m, err := encodeEvents("0123456789abcdef", 1<<60, append(mustEvents(t, 300, 450), mustEvents(t, 2, 9000)...))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.payloads {
		if n := len(s.sign(p)); n > MaxPayload {
			t.Errorf("signed payload %d is %d bytes, over %d", i, n, MaxPayload)
		}
	}
}

// TestLoadSignerOnce: brokers starting together on a new database end up
// with one key.
func TestLoadSignerOnce(t *testing.T) {
	db := pgtest.MustDB(t)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			s, err := loadSigner(context.Background(), db)
			if err != nil {
				t.Error(err)
			}
			keys[i] = s.key
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != keySize || string(k) != string(keys[0]) {
			t.Fatalf("key %d differs from key 0", i)
		}
	}
}

// TestForgedNotificationsAreDropped: what another client of the database
// NOTIFYs by hand (unsigned, signed with another key, or pointing at a spill
// row changed after signing) delivers nothing and is counted, while signed
// traffic, the admin CLI's Notify included, still flows.
func TestForgedNotificationsAreDropped(t *testing.T) {
	db := pgtest.MustDB(t)
	n := mustNode(t, db, Options{})
	ctx := context.Background()
	notify := func(payload string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, "SELECT pg_notify(?, ?)", Channel, payload); err != nil {
			t.Fatal(err)
		}
	}
	control, err := encodeFrame(frame{Origin: "attacker", Batch: 1, Control: &Control{Kind: KindDisconnectUser, UserID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	events, err := encodeEvents("attacker", 2, mustEvents(t, 1, 100))
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := signer{key: []byte(strings.Repeat("w", keySize))}

	notify(control)                                 // unsigned control
	notify(events.payloads[0])                      // unsigned events
	notify(wrongKey.sign(control))                  // signed with a guessed key
	notify(strings.Repeat("A", 43) + "." + control) // a made-up signature

	// A genuine big event whose spill row is swapped after signing.
	big, err := encodeEvents("attacker", 3, mustEvents(t, 1, 20_000))
	if err != nil {
		t.Fatal(err)
	}
	evil, _ := json.Marshal(wireEvent{UserIDs: []int64{1}, Payload: json.RawMessage(`{"type":"message.created","data":{"body":"evil"}}`)})
	big.spills[0].payload = evil
	if err := send(ctx, db, n.signer, big); err != nil {
		t.Fatal(err)
	}

	// Notifications arrive in commit order: once this one is here, the
	// forged ones have been handled.
	if err := Notify(ctx, db, Control{Kind: KindDisconnectSession, SessionID: 77}); err != nil {
		t.Fatal(err)
	}
	if c := n.mustControl(t); c.Kind != KindDisconnectSession || c.SessionID != 77 {
		t.Fatalf("first control delivered %+v; want the signed one (session 77)", c)
	}
	n.mustNothing(t)
	if got := n.Forged(); got != 5 {
		t.Fatalf("Forged() = %d, want 5", got)
	}

	// Signed traffic of every kind still flows.
	evs := mustEvents(t, 2, 20_000)
	if err := Notify(ctx, db, Control{Kind: KindPublish, Events: evs}); err != nil {
		t.Fatal(err)
	}
	mustEqualEvents(t, n.mustBatch(t), evs)
	other := mustNode(t, db, Options{})
	if err := other.Publish(ctx, sentinel("signed")); err != nil {
		t.Fatal(err)
	}
	<-other.batches // its own, delivered locally
	mustEqualEvents(t, n.mustBatch(t), sentinel("signed"))
	if got := n.Forged(); got != 5 {
		t.Fatalf("Forged() = %d after signed traffic, want still 5", got)
	}
}
