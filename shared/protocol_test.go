package shared_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"natter/shared"
)

// decodeAction decodes an envelope and its data by type the way the server
// does, reporting whether the frame was understood.
func decodeAction(frame []byte) (shared.Envelope, any, bool) {
	var env shared.Envelope
	if err := json.Unmarshal(frame, &env); err != nil || env.Type == "" {
		return env, nil, false
	}
	var v any
	switch env.Type {
	case shared.TypeHello:
		v = &shared.Hello{}
	case shared.TypeMessageSend:
		v = &shared.MessageSend{}
	case shared.TypeConversationCreate:
		v = &shared.ConversationCreate{}
	case shared.TypeConversationRename:
		v = &shared.ConversationRename{}
	case shared.TypeMemberAdd, shared.TypeMemberRemove, shared.TypeOwnerTransfer:
		v = &shared.MemberChange{}
	case shared.TypeSeenMark:
		v = &shared.SeenMark{}
	case shared.TypeHistoryFetch:
		v = &shared.HistoryFetch{}
	case shared.TypeReadPosition:
		v = &shared.ReadPosition{}
	default:
		return env, nil, true
	}
	if len(env.Data) > 0 && json.Unmarshal(env.Data, v) != nil {
		return env, nil, false
	}
	return env, v, true
}

func TestEnvelopeRoundTrip(t *testing.T) {
	env, err := shared.NewEnvelope(shared.TypeMessageSend, shared.NewUUIDv7(), 0, shared.MessageSend{ConversationID: shared.NewUUIDv7(), Body: "hi \"there\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	got, data, ok := decodeAction(b)
	if !ok || got.ID != env.ID || data.(*shared.MessageSend).Body != "hi \"there\"\n" {
		t.Fatalf("round trip: %+v %+v", got, data)
	}
	if bytes.Contains(b, []byte("\n")) {
		t.Fatal("an encoded envelope contains a raw newline: frames are newline-separated")
	}
	// Unknown fields are ignored within a protocol version.
	if _, _, ok := decodeAction([]byte(`{"type":"message.send","id":"x","future":1,"data":{"conversation_id":"c","body":"b","later":true}}`)); !ok {
		t.Fatal("unknown fields refused")
	}
}

func TestPermanentErrors(t *testing.T) {
	for code, permanent := range map[string]bool{
		shared.CodeInternal: false, shared.CodeRateLimited: false, shared.CodeUnavailable: false,
		shared.CodeNotFound: true, shared.CodeClosed: true, shared.CodeBodyTooLong: true,
	} {
		if got := (&shared.Error{Code: code}).Permanent(); got != permanent {
			t.Errorf("%s: permanent=%v", code, got)
		}
	}
}

// FuzzDecodeEnvelope: the wire decoder never panics, and whatever decodes
// encodes again to something that decodes to the same envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"message.send","id":"0190a8a0-0000-7000-8000-000000000000","data":{"conversation_id":"x","body":"hi"}}`))
	f.Add([]byte(`{"type":"hello","data":{"protocol":1,"cursors":{"a":3}}}`))
	f.Add([]byte(`{"type":"seen.mark","data":{"seq":-1}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":"","data":null}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, _, ok := decodeAction(frame)
		if !ok {
			return
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, _, ok := decodeAction(b)
		if !ok || again.Type != env.Type || again.ID != env.ID || again.Seq != env.Seq {
			t.Fatalf("unstable: %+v vs %+v", env, again)
		}
	})
}
