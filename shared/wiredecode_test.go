package shared

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wireCase decodes in with both decoders and compares.
func wireCase(t *testing.T, name, in string) {
	t.Helper()
	for _, pair := range [][2]any{{&Message{}, &Message{}}, {&Conversation{}, &Conversation{}}, {&Envelope{}, &Envelope{}},
		{&History{}, &History{}}, {&Ack{}, &Ack{}}} {
		ref, ours := pair[0], pair[1]
		errRef, err := json.Unmarshal([]byte(in), ref), DecodeJSON([]byte(in), ours)
		if (errRef == nil) != (err == nil) {
			t.Errorf("%s: %T %s: encoding/json says %v, ours %v", name, ours, in, errRef, err)
		} else if err == nil && !reflect.DeepEqual(ref, ours) {
			t.Errorf("%s: %T %s:\nencoding/json %+v\nours          %+v", name, ours, in, ref, ours)
		}
	}
}

func TestWireDecodeMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", `{}`},
		{"null", `null`},
		{"spaces", " \t\n{ \"seq\" : 3 , \"body\" : \"hi\" }\r\n"},
		{"escapes", `{"body":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac"}`},
		{"surrogate pair", `{"body":"\ud83d\ude00"}`},
		{"lone high surrogate", `{"body":"x\ud800y"}`},
		{"lone low surrogate", `{"body":"\udc00"}`},
		{"surrogate then letter", `{"body":"\ud800\u0041"}`},
		{"two highs", `{"body":"\ud800\ud800\udc00"}`},
		{"invalid utf-8", "{\"body\":\"a\xffb\xc3\"}"},
		{"utf-8", `{"body":"héllo 🙂 日本"}`},
		{"control character", "{\"body\":\"a\x01b\"}"},
		{"bad escape", `{"body":"\q"}`},
		{"short unicode escape", `{"body":"\u12"}`},
		{"unknown keys", `{"x":{"y":[1,2.5e-3,{"z":null}],"w":"\u0041"},"seq":2,"t":true,"f":false}`},
		{"upper-case keys", `{"Seq":4,"BODY":"b","Conversation_ID":"c"}`},
		{"escaped keys", `{"se\u0071":4,"b\u006Fdy":"b","\u00e9":1}`},
		{"control character in a key", "{\"se\x01q\":4}"},
		{"nulls", `{"seq":null,"body":null,"edited_at":null,"reply_to":null,"reactions":null,"members":null,"preview":null,"removed":null,"data":null}`},
		{"empty arrays", `{"reactions":[],"members":[],"removed":[]}`},
		{"minus zero", `{"seq":-0}`},
		{"float into int", `{"seq":1.5}`},
		{"exponent into int", `{"seq":1e3}`},
		{"overflow", `{"seq":9223372036854775808}`},
		{"leading zero", `{"seq":01}`},
		{"string into int", `{"seq":"1"}`},
		{"int into string", `{"body":1}`},
		{"bad time", `{"created_at":"yesterday"}`},
		{"time with zone", `{"created_at":"2026-11-28T04:00:00.123456789+02:00"}`},
		{"trailing garbage", `{"seq":1} x`},
		{"unterminated", `{"seq":1`},
		{"missing colon", `{"seq" 1}`},
		{"trailing comma", `{"seq":1,}`},
		{"array", `[1]`},
		{"nested", `{"preview":{"seq":9,"reply_to":{"seq":1,"line":"l","deleted":true},"reactions":[{"emoji":"👍","user_ids":[1,2]},{"emoji":"x","user_ids":null}]},"members":[{"user_id":1,"nickname":"ann","owner":true,"seen_seq":3,"seen_at":"2026-01-02T03:04:05Z"}]}`},
		{"envelope", `{"v":1,"type":"message.created","id":"a","seq":5,"data":{"seq":5,"body":"x"}}`},
		{"envelope raw data", `{"type":"t","data":  [1, {"a" : "b"}] }`},
		{"envelope string data", `{"type":"t","data":"s"}`},
		{"envelope bad data", `{"type":"t","data":{"a":}}`},
		{"deep", `{"x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`},
		{"history", `{"history":{"conversation_id":"c","messages":[{"seq":1,"body":"a"},{"seq":2,"reply_to":{"seq":1}}],"more":true,"newer":false}}`},
		{"history, no messages", `{"history":{"messages":null,"more":false},"messages":[]}`},
		{"history null", `{"history":null,"message":null,"conversation":null}`},
		{"history bad message", `{"history":{"messages":[{"seq":"x"}]}}`},
		{"history not an object", `{"history":[1]}`},
		{"ack with message", `{"message":{"seq":3,"body":"m","action_id":"a"},"conversation":{"id":"c","members":[{"user_id":1}]}}`},
		{"ack, the rest", `{"seen":{"user_id":1,"seq":4},"seen_by":{"seq":2,"readers":[{"user_id":1,"nickname":"ann","at":"2026-01-02T03:04:05Z"}]},"left_out":[{"user_id":2,"nickname":"bob","reason":"blocked"}],"mute":{"conversation_id":"c"},"edits":{"seq":1}}`},
		{"ack, the rest with a bad value", `{"seen":{"seq":"four"}}`},
		{"ack, upper-case keys", `{"HISTORY":{"More":true},"Left_Out":[]}`},
		{"duplicate nested keys merge", `{"reply_to":{"seq":1},"reply_to":{"line":"l"},"preview":{"seq":2},"preview":{"body":"b"},"members":[{"user_id":1}],"members":[]}`},
		{"ack, duplicate keys merge", `{"message":{"seq":1},"message":{"body":"b"},"history":{"more":true},"history":{"conversation_id":"c"}}`},
		{"ack, search and page", `{"search":{"hits":[],"next":"2"},"page":{"conversations":[],"more":true}}`},
	} {
		wireCase(t, tc.name, tc.in)
	}
}

// Random values through encoding/json's encoder decode the same both ways.
func TestWireDecodeRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		const pool = "ab \"\\/\n\t\x01<>&é€🙂\u2028"
		var b strings.Builder
		for range rng.IntN(12) {
			r := []rune(pool)
			b.WriteRune(r[rng.IntN(len(r))])
		}
		if rng.IntN(10) == 0 {
			b.WriteString("\xff") // invalid UTF-8: the encoder writes U+FFFD
		}
		return b.String()
	}
	tm := func() time.Time {
		return time.Date(2000+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1e9),
			time.FixedZone("", (rng.IntN(25)-12)*3600))
	}
	tp := func() *time.Time {
		if rng.IntN(2) == 0 {
			return nil
		}
		v := tm()
		return &v
	}
	ids := func() []int64 {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []int64{}
		}
		return []int64{rng.Int64(), -rng.Int64N(1000), 0}
	}
	msg := func() Message {
		m := Message{ID: rng.Int64(), ConversationID: str(), Seq: rng.Int64N(1 << 40), SenderID: rng.Int64N(3), Sender: str(), Kind: str(),
			Body: str(), ActionID: str(), CreatedAt: tm(), EditedAt: tp(), DeletedAt: tp(), EventSeq: rng.Int64N(3)}
		if rng.IntN(2) == 0 {
			m.ReplyTo = &ReplyQuote{Seq: rng.Int64N(9), SenderID: rng.Int64N(9), Sender: str(), Line: str(), Deleted: rng.IntN(2) == 0}
		}
		for range rng.IntN(3) {
			m.Reactions = append(m.Reactions, Reaction{Emoji: str(), UserIDs: ids()})
		}
		return m
	}
	var list []Message
	for i := range 300 {
		m := msg()
		list = append(list, m)
		c := Conversation{ID: str(), Title: str(), Named: rng.IntN(2) == 0, Direct: rng.IntN(2) == 0, CreatedBy: rng.Int64(), CreatedAt: tm(),
			ClosedAt: tp(), LastSeq: rng.Int64(), LastAt: tp(), Delta: rng.IntN(2) == 0, Removed: ids()}
		if rng.IntN(3) > 0 {
			c.Members = []Member{}
			for range rng.IntN(4) {
				c.Members = append(c.Members, Member{UserID: rng.Int64(), Nickname: str(), Owner: rng.IntN(2) == 0, SeenSeq: rng.Int64N(99), SeenAt: tp()})
			}
		}
		if rng.IntN(2) == 0 {
			p := msg()
			c.Preview = &p
		}
		for _, v := range []any{m, c} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			wireCase(t, fmt.Sprint("random ", i), string(b))
			env, err := NewEnvelope(TypeMessageCreated, str(), rng.Int64(), v)
			if err != nil {
				t.Fatal(err)
			}
			eb, _ := json.Marshal(env)
			wireCase(t, fmt.Sprint("random envelope ", i), string(eb))
		}
	}
	// Pages of history in acks, as the server sends them.
	for i := 0; i < len(list); i += 37 {
		ack := Ack{History: &History{ConversationID: str(), Messages: list[i:min(i+50, len(list))], More: rng.IntN(2) == 0, Newer: rng.IntN(2) == 0}}
		if rng.IntN(3) == 0 {
			m := msg()
			ack.Message = &m
		}
		wireCase(t, fmt.Sprint("random history ", i), mustJSON(t, ack))
	}
	// A conversation's cached messages: an array.
	for _, in := range []string{"null", "[]", " [ ] ", "[1]", "[{}", mustJSON(t, list)} {
		var ref, ours []Message
		errRef, err := json.Unmarshal([]byte(in), &ref), DecodeJSON([]byte(in), &ours)
		if (errRef == nil) != (err == nil) || err == nil && !reflect.DeepEqual(ref, ours) {
			t.Errorf("messages %.60s: encoding/json %v (%d), ours %v (%d)", in, errRef, len(ref), err, len(ours))
		}
	}
}

// BenchmarkDecodeMessage compares the hand-written decoder with
// encoding/json's reflection on a typical message envelope's data.
func BenchmarkDecodeMessage(b *testing.B) {
	m := Message{ID: 123456, ConversationID: "01a22069-11d2-703f-9a3a-7277a8f19931", Seq: 4242, SenderID: 7, Sender: "ann",
		Body: "Are we still on for Saturday? Bring the map & snacks 🙂", ActionID: "01a22069-11d7-7513-9d72-82c74832cb4c",
		CreatedAt: time.Date(2026, 11, 28, 4, 0, 0, 123456789, time.UTC), Reactions: []Reaction{{Emoji: "👍", UserIDs: []int64{1, 2}}}}
	data, _ := json.Marshal(m)
	b.Run("by hand", func(b *testing.B) {
		for range b.N {
			var out Message
			if err := DecodeJSON(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			var out Message
			if err := json.Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
