package natsbroker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"natter/server/hub"
)

// message is one NATS message to publish: for one user's subject, or for
// the nodes subject when user is 0.
type message struct {
	user int64
	data []byte
}

// wireEvent is a hub.Event on the wire, without its recipients: a user's
// subject says who they are. The envelope travels as JSON, not base64.
type wireEvent struct {
	Payload       json.RawMessage   `json:"p,omitempty"`
	Ephemeral     bool              `json:"x,omitempty"`
	ExceptSession int64             `json:"s,omitempty"`
	Presence      *hub.NodePresence `json:"n,omitempty"`
}

// wireMessage is what one NATS message holds.
type wireMessage struct {
	Origin string      `json:"o"`
	Events []wireEvent `json:"e"`
}

// encode turns a batch into one message per recipient user, holding that
// user's events in batch order, and one nodes message for presence. Each
// event is marshalled once, however many users it goes to.
func encode(origin string, evs []hub.Event) ([]message, error) {
	head := []byte(`{"o":` + strconv.Quote(origin) + `,"e":[`)
	perUser := make(map[int64]*bytes.Buffer)
	var order []int64 // users in first-seen order, so output is deterministic
	var nodes *bytes.Buffer
	add := func(buf **bytes.Buffer, ev []byte) {
		if *buf == nil {
			*buf = bytes.NewBuffer(append([]byte(nil), head...))
		} else {
			(*buf).WriteByte(',')
		}
		(*buf).Write(ev)
	}
	for i := range evs {
		ev := &evs[i]
		b, err := json.Marshal(wireEvent{Payload: ev.Payload, Ephemeral: ev.Ephemeral, ExceptSession: ev.ExceptSession, Presence: ev.Presence})
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		if ev.Presence != nil {
			add(&nodes, b)
			continue
		}
		for _, u := range ev.UserIDs {
			buf := perUser[u]
			if buf == nil {
				order = append(order, u)
			}
			add(&buf, b)
			perUser[u] = buf
		}
	}
	msgs := make([]message, 0, len(order)+1)
	if nodes != nil {
		nodes.WriteString("]}")
		msgs = append(msgs, message{data: nodes.Bytes()})
	}
	for _, u := range order {
		buf := perUser[u]
		buf.WriteString("]}")
		msgs = append(msgs, message{user: u, data: buf.Bytes()})
	}
	return msgs, nil
}

// decode reads one message; the events of a user's subject get that user
// as their only recipient.
func decode(data []byte, userID int64) (string, []hub.Event, error) {
	var m wireMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return "", nil, err
	}
	evs := make([]hub.Event, 0, len(m.Events))
	for _, we := range m.Events {
		ev := hub.Event{Payload: []byte(we.Payload), Ephemeral: we.Ephemeral, ExceptSession: we.ExceptSession, Presence: we.Presence}
		if userID != 0 {
			ev.UserIDs = []int64{userID}
		}
		evs = append(evs, ev)
	}
	return m.Origin, evs, nil
}
