package client

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"natter/shared"
)

// action is one durable action in the outbox. Data is the exact payload sent,
// so a resend after any gap is byte-for-byte the action the server may have
// applied already, under the same id.
type action struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	QueuedAt time.Time       `json:"queued_at"`
	UserID   int64           `json:"user_id,omitempty"` // the account that queued it
	Failed   string          `json:"failed,omitempty"`
	FailCode string          `json:"fail_code,omitempty"`

	key   string // storage key: order then id, so List returns queue order
	Conv  string // derived from Data
	Body  string // derived from Data, for message.send
	Title string // derived from Data, for create and rename
	Seq   int64  // derived from Data, for seen.mark

	fresh    bool      // made by this engine and never written to a connection
	inflight bool      // written on the current connection, no answer yet
	retryAt  time.Time // after a transient error: not before then
	tries    int
}

// payload is the union of the fields the engine reads back from Data.
type payload struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Body           string `json:"body"`
	Title          string `json:"title"`
	Seq            int64  `json:"seq"`
}

// derive fills the fields the engine reads from Data.
func (a *action) derive() {
	var p payload
	_ = json.Unmarshal(a.Data, &p)
	a.Conv, a.Body, a.Seq, a.Title = p.ConversationID, p.Body, p.Seq, p.Title
	if a.Type == shared.TypeConversationCreate {
		a.Conv = p.ID
	}
}

// setConversation rewrites the conversation an action targets (after a
// redirect), keeping every other field of Data as it was.
func (a *action) setConversation(id string) {
	var m map[string]json.RawMessage
	if json.Unmarshal(a.Data, &m) != nil {
		return
	}
	if _, ok := m["conversation_id"]; !ok {
		return
	}
	m["conversation_id"], _ = json.Marshal(id)
	if b, err := json.Marshal(m); err == nil {
		a.Data = b
		a.derive()
	}
}

func (a *action) view() ActionView {
	v := ActionView{ID: a.ID, Type: a.Type, ConvID: a.Conv, State: MsgQueued, Error: a.Failed, Summary: a.Body, QueuedAt: a.QueuedAt}
	if v.Summary == "" {
		v.Summary = a.Title
	}
	switch {
	case a.Failed != "":
		v.State = MsgFailed
	case a.inflight:
		v.State = MsgSending
	}
	return v
}

func (a *action) envelope() []byte {
	b, _ := json.Marshal(shared.Envelope{V: shared.ProtocolVersion, Type: a.Type, ID: a.ID, Data: a.Data})
	return b
}

// orderKey makes storage keys that sort in queue order, across reloads and
// across tabs (microseconds, bumped past the last one used), unique by id.
func (e *Engine) orderKey(id string) string {
	n := max(e.cfg.Now().UnixMicro(), e.lastOrder+1)
	e.lastOrder = n
	return fmt.Sprintf("%020d-%s", n, id)
}

func keyOrder(key string) int64 {
	n, _ := strconv.ParseInt(strings.SplitN(key, "-", 2)[0], 10, 64)
	return n
}

// enqueue makes a durable action and stores it before returning: the UI may
// only report an action accepted once it survives a reload. Callers hold e.mu.
func (e *Engine) enqueue(typ string, data any) (*action, error) {
	if e.wiped {
		return nil, errSignedOut
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("client: encode %s: %w", typ, err)
	}
	a := &action{ID: shared.NewUUIDv7(), Type: typ, Data: raw, QueuedAt: e.cfg.Now(), UserID: e.me.ID, fresh: true}
	a.key = e.orderKey(a.ID)
	a.derive()
	if err := e.putAction(a); err != nil {
		return nil, err
	}
	e.outbox = append(e.outbox, a)
	e.touch()
	e.kickSender()
	e.outboxChanged()
	return a, nil
}

// putAction writes a to Storage. Callers hold e.mu.
func (e *Engine) putAction(a *action) error {
	if e.wiped {
		return errSignedOut
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("client: encode action: %w", err)
	}
	if err := e.cfg.Storage.Put(context.Background(), BucketOutbox, a.key, b); err != nil {
		e.setStorageErr(err)
		return fmt.Errorf("client: save action: %w", err)
	}
	e.setStorageErr(nil)
	return nil
}

// removeAction drops an action that will never be sent (discarded, folded
// into another, replaced), from Storage first: a page closed afterwards
// must not find it and send it. If Storage refuses, the entry stays there
// and is resent after a reload, which the server answers with the original
// result. Callers hold e.mu.
func (e *Engine) removeAction(a *action) {
	if e.wiped {
		return
	}
	if err := e.cfg.Storage.Delete(context.Background(), BucketOutbox, a.key); err != nil {
		e.setStorageErr(err)
	}
	e.dropAction(a)
}

// settleAction drops an acknowledged action from the outbox in memory and
// leaves its Storage entry for the next flush to delete, in the
// transaction that writes the conversation the ack changed. Deleting it at
// once left a
// window (the flush comes up to a second later) in which a reload found
// the message neither in the outbox nor in the cache: a person offline saw
// a message they had sent vanish. A reload in that window finds the entry
// and sends it again; the server answers with the original result.
// Callers hold e.mu.
func (e *Engine) settleAction(a *action) {
	if e.wiped {
		return
	}
	e.settled[a.key] = true
	e.dropAction(a)
}

// dropAction takes a out of the outbox in memory and has what changed
// written soon. Callers hold e.mu.
func (e *Engine) dropAction(a *action) {
	if i := slices.Index(e.outbox, a); i >= 0 {
		e.outbox = slices.Delete(e.outbox, i, i+1)
	}
	e.dirty.acked = true
	e.scheduleFlush()
	e.touch()
	e.outboxChanged()
}

// failAction marks a permanently refused action; it stays until Retry or
// Discard and does not hold up the actions behind it. Callers hold e.mu.
func (e *Engine) failAction(a *action, err *shared.Error) {
	a.inflight = false
	a.Failed, a.FailCode = err.Message, err.Code
	if a.Failed == "" {
		a.Failed = err.Code
	}
	if perr := e.putAction(a); perr != nil {
		e.log.Warn("client: save failed action", "err", perr)
	}
	if a.Type == shared.TypeConversationCreate {
		if c := e.convs[a.Conv]; c != nil && c.pending {
			c.failed = a.Failed
			e.dirty.conv(a.Conv)
		}
	}
	e.touch()
	e.outboxChanged()
}

func (e *Engine) findAction(id string) *action {
	for _, a := range e.outbox {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// Retry puts a failed action back in the queue, at its old place and with
// its old id, so the server still recognises it if it had applied it. An
// action that failed for waiting longer than shared.ActionReplayWindow gets
// a new id instead: the server may have forgotten the old one, and the user
// now asks for the change anew.
func (e *Engine) Retry(actionID string) {
	e.mu.Lock()
	defer e.unlock()
	a := e.findAction(actionID)
	if a == nil || a.Failed == "" {
		return
	}
	a.retryAt, a.tries = time.Time{}, 0
	if a.FailCode == FailExpired {
		if err := e.renew(a); err != nil {
			e.log.Warn("client: retry", "err", err)
			return
		}
	} else {
		a.Failed, a.FailCode = "", ""
		if err := e.putAction(a); err != nil {
			e.log.Warn("client: retry", "err", err)
		}
	}
	if a.Type == shared.TypeConversationCreate {
		if c := e.convs[a.Conv]; c != nil {
			c.failed = ""
		}
	}
	e.touch()
	e.kickSender()
	e.outboxChanged()
}

// Discard drops a failed action for good. A conversation whose creation is
// discarded disappears, and with it what was queued for it, which could
// never be delivered anyway.
func (e *Engine) Discard(actionID string) {
	e.mu.Lock()
	defer e.unlock()
	a := e.findAction(actionID)
	if a == nil || a.Failed == "" {
		return
	}
	e.removeAction(a)
	if a.Type == shared.TypeConversationCreate {
		if c := e.convs[a.Conv]; c != nil && c.pending {
			e.dropConv(a.Conv)
			for _, b := range slices.Clone(e.outbox) {
				if b.Conv == a.Conv && !b.inflight {
					e.removeAction(b)
				}
			}
		}
	}
}

// outboxChanged tells other tabs. Callers hold e.mu; the hook runs later so
// it never runs under the lock.
func (e *Engine) outboxChanged() {
	if fn := e.cfg.OnOutboxChange; fn != nil {
		go fn()
	}
}

// kickSender wakes the send pump of the live connection. Callers hold e.mu.
func (e *Engine) kickSender() {
	if e.sess != nil {
		e.sess.wake()
	}
}

// SetSender says whether this tab runs the send loop. In the browser only the
// tab holding the Web Lock is the sender; the default is true, so a single
// tab (and the native tests) need not call it. A tab that is not the sender
// still receives, and shows the outbox other tabs work through.
func (e *Engine) SetSender(sender bool) {
	e.mu.Lock()
	defer e.unlock()
	if e.sender == sender {
		return
	}
	e.sender = sender
	e.touch()
	if sender {
		e.reloadOutbox()
		e.kickSender()
	}
}

// ReloadOutbox rereads the outbox from Storage after another tab changed it
// (the browser calls it on a BroadcastChannel ping). What this tab has on the
// wire keeps its state.
func (e *Engine) ReloadOutbox() {
	e.mu.Lock()
	defer e.unlock()
	e.reloadOutbox()
	e.kickSender()
}

func (e *Engine) reloadOutbox() {
	if e.wiped {
		return
	}
	kvs, err := e.cfg.Storage.List(context.Background(), BucketOutbox)
	if err != nil {
		e.log.Warn("client: reload outbox", "err", err)
		return
	}
	old := make(map[string]*action, len(e.outbox))
	for _, a := range e.outbox {
		old[a.ID] = a
	}
	out := make([]*action, 0, len(kvs))
	for _, kv := range kvs {
		if e.settled[kv.Key] {
			continue // acknowledged; its entry goes with the next flush
		}
		a, err := decodeAction(kv)
		if err != nil {
			e.log.Warn("client: outbox entry", "key", kv.Key, "err", err)
			continue
		}
		if o := old[a.ID]; o != nil {
			a.inflight, a.retryAt, a.tries = o.inflight, o.retryAt, o.tries
		}
		e.lastOrder = max(e.lastOrder, keyOrder(kv.Key))
		out = append(out, a)
	}
	e.outbox = out
	e.expireOld()
	e.touch()
}

func decodeAction(kv KV) (*action, error) {
	a := &action{}
	if err := json.Unmarshal(kv.Value, a); err != nil {
		return nil, fmt.Errorf("client: decode action: %w", err)
	}
	a.key = kv.Key
	a.derive()
	return a, nil
}

// nextToSend picks the actions to write now: in queue order, at most Window
// awaiting an ack, skipping failed ones, stopping at one that must wait (a
// transient error's back-off, or a conversation whose creation is not yet
// acknowledged, so that a redirect can still move what follows). It marks
// them in flight and returns when to look again if something waits on time.
// Callers hold e.mu.
func (e *Engine) nextToSend(now time.Time) (out []*action, wakeAt time.Time) {
	e.expireOld()
	n := 0
	for _, a := range e.outbox {
		if a.inflight {
			n++
		}
	}
	creating := map[string]bool{}
	for _, a := range e.outbox {
		if a.Failed != "" {
			continue
		}
		if a.UserID != 0 && e.me.ID != 0 && a.UserID != e.me.ID {
			continue
		}
		if a.Type == shared.TypeConversationCreate {
			creating[a.Conv] = true
		}
		if a.inflight {
			continue
		}
		if n >= e.cfg.Window {
			break
		}
		if a.retryAt.After(now) {
			wakeAt = a.retryAt
			break
		}
		if a.Type != shared.TypeConversationCreate && creating[a.Conv] {
			break
		}
		if !e.resolveTarget(a) {
			break // its target is a send not yet acknowledged (edits.go)
		}
		a.inflight, a.fresh = true, false
		n++
		out = append(out, a)
	}
	if len(out) > 0 {
		e.touch()
	}
	return out, wakeAt
}
