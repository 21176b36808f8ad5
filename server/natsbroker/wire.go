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

// maxMessage is the most bytes encode puts in one message. NATS refuses
// more than the server's max_payload (1 MiB by default); a refresh of a
// node's presence or a big committed batch is split below that, in order.
// A single event larger than this still goes, alone.
const maxMessage = 512 << 10

// encode turns a batch into messages per recipient user, holding that
// user's events in batch order, and nodes messages for presence; each at
// most limit bytes unless one event alone is larger. Each event is
// marshalled once, however many users it goes to.
func encode(origin string, evs []hub.Event, limit int) ([]message, error) {
	head := `{"o":` + strconv.Quote(origin) + `,"e":[`
	open := make(map[int64]*bytes.Buffer) // per subject (user, 0 for nodes): the message being filled
	var msgs []message
	var order []int64 // subjects in first-seen order, so output is deterministic
	flush := func(user int64) {
		buf := open[user]
		buf.WriteString("]}")
		msgs = append(msgs, message{user: user, data: buf.Bytes()})
		delete(open, user)
	}
	add := func(user int64, ev []byte) {
		buf := open[user]
		if buf != nil && buf.Len()+len(ev)+3 > limit {
			flush(user)
			buf = nil
		}
		if buf == nil {
			buf = bytes.NewBufferString(head)
			open[user] = buf
			order = append(order, user)
		} else {
			buf.WriteByte(',')
		}
		buf.Write(ev)
	}
	for i := range evs {
		ev := &evs[i]
		b, err := json.Marshal(wireEvent{Payload: ev.Payload, Ephemeral: ev.Ephemeral, ExceptSession: ev.ExceptSession, Presence: ev.Presence})
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		if ev.Presence != nil {
			add(0, b)
			continue
		}
		for _, u := range ev.UserIDs {
			if u != 0 {
				add(u, b)
			}
		}
	}
	for _, u := range order {
		if open[u] != nil {
			flush(u)
		}
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
