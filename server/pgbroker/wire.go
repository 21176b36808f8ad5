package pgbroker

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"natter/server/hub"
)

// Channel is the one PostgreSQL notification channel every node listens
// on. Events, operator controls and liveness pings share it, so they reach
// each node in one order: the order their transactions committed.
const Channel = "natter_broker"

// MaxPayload is the most bytes this package puts in one NOTIFY payload,
// signature included. PostgreSQL refuses 8000 and more; the margin leaves
// room for a different block size and for the frame header estimate.
const MaxPayload = 7800

// headerRoom is reserved in every payload for the frame header: origin
// (16), batch number, part index and count, and the JSON around them.
const headerRoom = 120

// spillMaxAge is how long spilled events are kept for slow readers.
const spillMaxAge = "1 minute"

// frame is one NOTIFY payload. A Publish call is one batch of one or more
// frames (parts), all sent in one transaction so they arrive together and
// in order; PostgreSQL folds identical payloads of one transaction into
// one, which the (origin, batch, part) header rules out.
type frame struct {
	Origin  string      `json:"o"`             // the sender: a Broker, or one Notify call
	Batch   uint64      `json:"b"`             // the sender's batch number
	Part    int         `json:"i"`             // 0-based part index
	Parts   int         `json:"n"`             // parts in the batch
	Events  []wireEvent `json:"e,omitempty"`   // events of this part
	Control *Control    `json:"c,omitempty"`   // an operator control (alone in its batch)
	Ping    bool        `json:"p,omitempty"`   // liveness check of the sender's listener
	Hello   bool        `json:"hi,omitempty"`  // a node joins: count it as a peer and answer with an Ack
	Ack     string      `json:"ack,omitempty"` // answers the hello of the node with this origin
	Bye     bool        `json:"bye,omitempty"` // the node is closing: stop notifying it
	Key     int64       `json:"k,omitempty"`   // with Hello, Ack and Bye: the sender's node lock key
}

// wireEvent is a hub.Event on the wire. The envelope travels as JSON, not
// base64, since hub payloads are JSON already.
type wireEvent struct {
	UserIDs       []int64           `json:"u,omitempty"`
	Payload       json.RawMessage   `json:"p,omitempty"`
	Ephemeral     bool              `json:"x,omitempty"`
	ExceptSession int64             `json:"s,omitempty"`
	Presence      *hub.NodePresence `json:"n,omitempty"` // a node's presence, for the other nodes' hubs
	Spill         string            `json:"f,omitempty"` // key of a pgbroker_spill row holding the whole event
	Sum           string            `json:"h,omitempty"` // with Spill: spillSum of that row's payload
}

// spill is an event too large for a payload, stored in pgbroker_spill.
type spill struct {
	key     string
	payload []byte
}

// message is what one send writes: NOTIFY payloads in order and the spill
// rows they refer to.
type message struct {
	payloads []string
	spills   []spill
}

// encodeEvents packs a batch into as few payloads as fit, in order; an
// event that fits in no payload is spilled and only its key sent. An event
// whose Payload is not JSON is an error and nothing is sent.
func encodeEvents(origin string, batch uint64, evs []hub.Event) (message, error) {
	var m message
	budget := MaxPayload - headerRoom - sigRoom - len(origin)
	var parts [][]byte // each: comma-separated encoded events
	var cur []byte
	for i := range evs {
		ev := &evs[i]
		b, err := json.Marshal(wireEvent{UserIDs: ev.UserIDs, Payload: ev.Payload, Ephemeral: ev.Ephemeral,
			ExceptSession: ev.ExceptSession, Presence: ev.Presence})
		if err != nil {
			return message{}, fmt.Errorf("encode event %d: %w", i, err)
		}
		if len(b) > budget {
			key := origin + "." + strconv.FormatUint(batch, 10) + "." + strconv.Itoa(i)
			m.spills = append(m.spills, spill{key: key, payload: b})
			if b, err = json.Marshal(wireEvent{Spill: key, Sum: spillSum(b)}); err != nil {
				return message{}, fmt.Errorf("encode event %d: %w", i, err)
			}
		}
		if len(cur) > 0 && len(cur)+1+len(b) > budget {
			parts = append(parts, cur)
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, ',')
		}
		cur = append(cur, b...)
	}
	parts = append(parts, cur)
	m.payloads = make([]string, len(parts))
	for i, p := range parts {
		var sb strings.Builder
		sb.Grow(len(p) + headerRoom + len(origin))
		sb.WriteString(`{"o":`)
		sb.WriteString(strconv.Quote(origin))
		sb.WriteString(`,"b":`)
		sb.WriteString(strconv.FormatUint(batch, 10))
		sb.WriteString(`,"i":`)
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString(`,"n":`)
		sb.WriteString(strconv.Itoa(len(parts)))
		sb.WriteString(`,"e":[`)
		sb.Write(p)
		sb.WriteString(`]}`)
		m.payloads[i] = sb.String()
	}
	return m, nil
}

// encodeFrame encodes a single-part frame (a control or a ping).
func encodeFrame(f frame) (string, error) {
	f.Parts = 1
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	if len(b)+sigRoom >= MaxPayload {
		return "", fmt.Errorf("frame of %d bytes is over the NOTIFY limit", len(b))
	}
	return string(b), nil
}

// send signs a message's payloads with s and writes them in one round trip:
// a multi-statement query runs as one transaction (or inside db's, when db
// is a bun.Tx), so the spill rows exist before any node hears of them and
// the payloads arrive in order, after commit, or not at all.
func send(ctx context.Context, db bun.IDB, s signer, m message) error {
	if len(m.payloads) == 0 {
		return nil
	}
	var q strings.Builder
	args := make([]any, 0, 2*len(m.spills)+len(m.payloads))
	if len(m.spills) > 0 {
		q.WriteString("DELETE FROM pgbroker_spill WHERE created_at < now() - interval '" + spillMaxAge + "';\n")
		q.WriteString("INSERT INTO pgbroker_spill (key, payload) VALUES ")
		for i, s := range m.spills {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			args = append(args, s.key, s.payload)
		}
		q.WriteString(";\n")
	}
	for _, p := range m.payloads {
		q.WriteString("NOTIFY " + Channel + ", ?;\n")
		args = append(args, s.sign(p))
	}
	if _, err := db.NewRaw(q.String(), args...).Exec(ctx); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// decodeEvents turns the events of a frame back into hub events, reading
// spilled ones from the table. A spilled event that is gone (its reader was
// over a minute late) is reported in missing and left out. A spill row that
// does not match the checksum in its (signed) reference fails the whole
// part with an error wrapping errForged.
func decodeEvents(ctx context.Context, db bun.IDB, wes []wireEvent) (evs []hub.Event, missing []string, err error) {
	evs = make([]hub.Event, 0, len(wes))
	for _, we := range wes {
		if we.Spill != "" {
			var raw []byte
			qerr := db.NewRaw("SELECT payload FROM pgbroker_spill WHERE key = ?", we.Spill).Scan(ctx, &raw)
			if errors.Is(qerr, sql.ErrNoRows) {
				missing = append(missing, we.Spill)
				continue
			}
			if qerr != nil {
				return nil, nil, fmt.Errorf("read spilled event %s: %w", we.Spill, qerr)
			}
			if we.Sum == "" || spillSum(raw) != we.Sum {
				return nil, nil, fmt.Errorf("spilled event %s does not match its reference: %w", we.Spill, errForged)
			}
			we = wireEvent{}
			if err := json.Unmarshal(raw, &we); err != nil {
				return nil, nil, fmt.Errorf("decode spilled event: %w", err)
			}
		}
		evs = append(evs, hub.Event{
			UserIDs: we.UserIDs, Payload: []byte(we.Payload),
			Ephemeral: we.Ephemeral, ExceptSession: we.ExceptSession, Presence: we.Presence,
		})
	}
	return evs, missing, nil
}
