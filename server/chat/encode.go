package chat

import (
	"encoding/json"
	"strconv"

	"natter/shared"
)

// encode builds one envelope; the types are ours, so failing is a bug.
//
// The data is marshalled once and the envelope around it written by hand:
// json.Marshal of a shared.Envelope would scan and compact the data a second
// time (json.RawMessage is re-validated), a fifth of the JSON time of a
// fan-out. The output is byte for byte what json.Marshal(shared.Envelope)
// gives; the encode test holds them equal.
func encode(typ, id string, seq int64, data any) []byte {
	var raw []byte
	if data != nil {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			panic("chat: encode " + typ + ": " + err.Error())
		}
	}
	return wrap(typ, id, seq, raw, "", "")
}

// wrap writes the envelope {"type":typ,"id":id,"seq":seq,"data":…} around
// raw, an encoded JSON value, leaving out what shared.Envelope omits when
// empty. When pre or post are set, the data is pre+raw+post (an object
// around raw, as the ack of a send is {"message":raw}).
func wrap(typ, id string, seq int64, raw []byte, pre, post string) []byte {
	b := make([]byte, 0, len(typ)+len(id)+len(raw)+len(pre)+len(post)+48)
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	if seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, seq, 10)
	}
	if len(raw) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, pre...)
		b = append(b, raw...)
		b = append(b, post...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string: as is when it needs no escaping
// (types and action ids always), through encoding/json otherwise.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// messageFrames encodes a committed message once for both the fan-out's
// message.created and the sender's ack of actionID.
func messageFrames(m *shared.Message, actionID string) (created, ack []byte) {
	raw, err := json.Marshal(m)
	if err != nil {
		panic("chat: encode message: " + err.Error())
	}
	created = wrap(shared.TypeMessageCreated, "", m.Seq, raw, "", "")
	if actionID != "" {
		ack = wrap(shared.TypeAck, actionID, 0, raw, `{"message":`, `}`)
	}
	return created, ack
}
