package chat

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"natter/shared"
)

// TestEncodeMatchesEnvelope holds the hand-written envelopes byte for byte
// equal to json.Marshal of a shared.Envelope, escaping included.
func TestEncodeMatchesEnvelope(t *testing.T) {
	msg := &shared.Message{ConversationID: "c<1>", Seq: 42, Body: "a \"quoted\" <b>&\u2028 é\n", SenderID: 7,
		CreatedAt: time.Date(2026, 11, 27, 1, 2, 3, 4, time.UTC)}
	tests := []struct {
		name     string
		typ, id  string
		seq      int64
		data     any
		wantData any
	}{
		{name: "no data", typ: shared.TypePong, id: "p1"},
		{name: "error", typ: shared.TypeError, id: "9b2f0f5e-57a5-4cb6-9a8e-1c1f0e2d3c4b", data: &shared.Error{Code: shared.CodeMalformed, Message: "x <y>"}},
		{name: "message", typ: shared.TypeMessageCreated, seq: 42, data: msg},
		{name: "odd id", typ: shared.TypeAck, id: "a\"b\\c<\x01é", data: shared.Ack{Message: msg}},
		{name: "nil pointer", typ: shared.TypeAck, id: "x", data: (*shared.Ack)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := shared.NewEnvelope(tt.typ, tt.id, tt.seq, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if got := encode(tt.typ, tt.id, tt.seq, tt.data); !bytes.Equal(got, want) {
				t.Errorf("encode:\n got %s\nwant %s", got, want)
			}
		})
	}
	t.Run("message frames", func(t *testing.T) {
		created, ack := messageFrames(msg, "act-1")
		if want := encode(shared.TypeMessageCreated, "", msg.Seq, msg); !bytes.Equal(created, want) {
			t.Errorf("created:\n got %s\nwant %s", created, want)
		}
		if want := encode(shared.TypeAck, "act-1", 0, shared.Ack{Message: msg}); !bytes.Equal(ack, want) {
			t.Errorf("ack:\n got %s\nwant %s", ack, want)
		}
		if _, ack := messageFrames(msg, ""); ack != nil {
			t.Errorf("ack without an action id: %s", ack)
		}
	})
}
