package client

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"natter/shared"
)

// flushDelay batches cache and draft writes: typing a draft or receiving a
// burst of messages costs one write per key, not one per change.
const flushDelay = 300 * time.Millisecond

// convFlushDelay batches writes that hold only conversations: writing one
// encodes and indexes every message it keeps (O(history), ~10 ms for a
// thousand in the browser, on the one thread that also draws), and live
// messages are on the server already, so a stream of them is written once
// a second, not three times. A draft or an outbox change still flushes
// after flushDelay, taking the conversations along.
const convFlushDelay = time.Second

// cachedConv is a conversation's record in BucketConvs.
type cachedConv struct {
	Conv    shared.Conversation `json:"conv"`
	Pending bool                `json:"pending,omitempty"`
	Failed  string              `json:"failed,omitempty"`
	NoOlder bool                `json:"no_older,omitempty"`
	Events  int64               `json:"events,omitempty"` // the event cursor (changes.go)
}

// meta is the record under key "me" in BucketMeta.
type meta struct {
	User    shared.User `json:"user"`
	BodyMax int         `json:"body_max"`
}

const metaKey = "me"

// dirtySet names cache records changed since the last flush.
type dirtySet struct {
	convs     map[string]bool
	drafts    map[string]bool
	redirects map[string]bool
	meta      bool
	// acked: an action left the outbox, so the message it sent now lives
	// only in its conversation's record; that record goes out at the
	// short delay, not the batched one, leaving a reload less time to
	// find the message in neither place.
	acked bool
}

func newDirtySet() dirtySet {
	return dirtySet{convs: map[string]bool{}, drafts: map[string]bool{}, redirects: map[string]bool{}}
}

func (d *dirtySet) conv(id string) { d.convs[id] = true }

func (d *dirtySet) empty() bool {
	return len(d.convs) == 0 && len(d.drafts) == 0 && len(d.redirects) == 0 && !d.meta
}

func (d *dirtySet) onlyConvs() bool {
	return len(d.drafts) == 0 && len(d.redirects) == 0 && !d.meta && !d.acked
}

// scheduleFlush arms the debounce timer, or brings it forward when what is
// dirty now is due sooner. Callers hold e.mu.
func (e *Engine) scheduleFlush() {
	if e.dirty.empty() && len(e.settled) == 0 {
		return
	}
	d := flushDelay
	if e.dirty.onlyConvs() {
		d = convFlushDelay
	}
	due := time.Now().Add(d)
	if e.flushTimer != nil {
		if !due.Before(e.flushDue) {
			return
		}
		e.flushTimer.Stop()
	} else {
		e.flushArmed = time.Now()
	}
	e.flushTimer, e.flushDue = time.AfterFunc(d, e.Flush), due
}

// historyFlushWait is how long pages of older history may hold back the
// write of conversations (scheduleHistoryFlush), from when it was armed.
const historyFlushWait = 5 * time.Second

// scheduleHistoryFlush arms the flush when the reader steps back through
// older history (a step asked for, a page merged), like scheduleFlush, but
// a flush of conversations alone that is already armed goes back to
// convFlushDelay from now, within historyFlushWait of when it was armed. A
// reader scrolling back through history brings a page every few hundred
// milliseconds, and each flush encodes and indexes every message the
// conversation keeps, on the thread that draws the pages: a flush a second
// made the pages wait for it, and wrote the history over and over as it
// grew. The pages are on the server; they are written once the reader
// stops, or every historyFlushWait. It is pushed back when a step is asked
// for too, not only when its page is in: the write of a conversation just
// opened used to start inside the first step, between the scroll and the
// page (a profiled step: 20 ms of encoding, then the garbage collection it
// set off). A draft or an outbox change is not held back: with them dirty,
// this is scheduleFlush. Callers hold e.mu.
func (e *Engine) scheduleHistoryFlush() {
	if e.flushTimer == nil || !e.dirty.onlyConvs() || len(e.settled) > 0 {
		e.scheduleFlush()
		return
	}
	due := time.Now().Add(convFlushDelay)
	if last := e.flushArmed.Add(historyFlushWait); last.Before(due) {
		due = last
	}
	if !due.After(e.flushDue) {
		return
	}
	e.flushTimer.Stop()
	e.flushTimer, e.flushDue = time.AfterFunc(time.Until(due), e.Flush), due
}

// Flush writes every pending cache and draft change now. Stop calls it; the
// browser should also call it when the page is hidden, since a closing tab
// may never reach Stop.
func (e *Engine) Flush() {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	if e.flushTimer != nil {
		e.flushTimer.Stop()
		e.flushTimer = nil
	}
	d := e.dirty
	e.dirty = newDirtySet()
	settled := e.settled
	e.settled = map[string]bool{}
	var ws []Write
	var jobs []convJob
	if !e.wiped {
		ws, jobs = e.collect(d)
	}
	e.mu.Unlock()

	// The long part, encoding and indexing every message kept, in slices
	// the browser can paint between (slices.go), outside e.mu.
	sl := newSlicer()
	indexes := make(map[string]*wordIndex, len(jobs))
	for _, j := range jobs {
		ix := buildIndexSliced(j.msgs, sl)
		indexes[j.id] = ix
		ws = append(ws, Write{BucketConvs, j.id, j.rec}, Write{BucketMessages, j.id, encodeMessages(j.msgs, sl)},
			Write{BucketWords, j.id, encodeIndex(ix, sl)})
	}
	if len(indexes) > 0 {
		e.mu.Lock()
		for id, ix := range indexes {
			if e.convs[id] != nil {
				e.index[id] = ix
			}
		}
		e.mu.Unlock()
	}

	// Acknowledged actions leave the outbox bucket with what their acks
	// changed, in the same transaction (settleAction).
	for k := range settled {
		ws = append(ws, Write{BucketOutbox, k, nil})
	}
	failed := e.write(context.Background(), ws)
	e.mu.Lock()
	defer e.unlock()
	if failed != nil {
		// Keep them dirty: the next change or Flush tries again with the
		// state of then.
		for k := range d.convs {
			e.dirty.convs[k] = true
		}
		for k := range d.drafts {
			e.dirty.drafts[k] = true
		}
		for k := range d.redirects {
			e.dirty.redirects[k] = true
		}
		e.dirty.meta = e.dirty.meta || d.meta
		for k := range settled {
			e.settled[k] = true
		}
	}
	if len(ws) > 0 {
		e.setStorageErr(failed)
	}
	if failed == nil && len(settled) > 0 {
		e.outboxChanged() // other tabs reload the outbox without them
		e.touch()
	}
}

// write applies a flush's writes, at once (Storage.WriteAll).
func (e *Engine) write(ctx context.Context, ws []Write) error {
	if len(ws) == 0 {
		return nil
	}
	if err := e.cfg.Storage.WriteAll(ctx, ws); err != nil {
		return fmt.Errorf("client: save: %w", err)
	}
	return nil
}

// convJob is a conversation to write: its record, encoded, and the
// messages it keeps, copied (the engine replaces messages, never changes
// them in place, so a copy of the slice is a snapshot).
type convJob struct {
	id   string
	rec  []byte
	msgs []shared.Message
}

// collect encodes the small records named in d from the current state and
// takes a snapshot of the conversations' messages for Flush to encode.
// The index of each goes until Flush has built the new one, so a search
// meanwhile indexes what will be written (search.go). Callers hold e.mu.
func (e *Engine) collect(d dirtySet) ([]Write, []convJob) {
	var ws []Write
	var jobs []convJob
	if d.meta {
		b, _ := json.Marshal(meta{User: e.me, BodyMax: e.bodyMax})
		ws = append(ws, Write{BucketMeta, metaKey, b})
		if e.mutes != nil { // once a mute is known (mute.go)
			ws = append(ws, e.mutesWrite())
		}
	}
	for id := range d.convs {
		c := e.convs[id]
		if c == nil {
			delete(e.index, id)
			ws = append(ws, Write{BucketConvs, id, nil}, Write{BucketMessages, id, nil}, Write{BucketWords, id, nil})
			continue
		}
		// What the retention policy keeps (older pages fetched by scrolling
		// stay in memory only), and its search index. What was older than
		// that is older history again after a reload, however far
		// LoadOlder had gone.
		msgs := e.retention().keep(c.msgs, e.cfg.Now())
		noOlder := c.noOlder && len(msgs) == len(c.msgs)
		b, _ := json.Marshal(cachedConv{Conv: c.c, Pending: c.pending, Failed: c.failed, NoOlder: noOlder, Events: c.events})
		delete(e.index, id)
		jobs = append(jobs, convJob{id: id, rec: b, msgs: slices.Clone(msgs)})
	}
	for k := range d.drafts {
		var v []byte
		if t, ok := e.drafts[k]; ok {
			v = []byte(t)
		}
		ws = append(ws, Write{BucketDrafts, k, v})
	}
	for k := range d.redirects {
		var v []byte
		if t, ok := e.redirects[k]; ok {
			v = []byte(t)
		}
		ws = append(ws, Write{BucketRedirects, k, v})
	}
	return ws, jobs
}

// load reads everything back from Storage. A bucket that cannot be read is
// reported in StorageError and the engine starts without it.
func (e *Engine) load(ctx context.Context) {
	st := e.cfg.Storage
	e.mu.Lock()
	defer e.unlock()
	e.touch()
	fail := func(err error) {
		if err != nil {
			e.setStorageErr(err)
		}
	}
	noUser := false // the user's record is known to be absent, not unreadable
	if b, ok, err := st.Get(ctx, BucketMeta, metaKey); err != nil {
		fail(err)
	} else if !ok {
		noUser = true
	} else {
		var m meta
		if json.Unmarshal(b, &m) == nil {
			e.me = m.User
			if m.BodyMax > 0 {
				e.bodyMax = m.BodyMax
			}
		}
	}
	e.loadMutes(ctx)
	kvs, err := st.List(ctx, BucketConvs)
	fail(err)
	for _, kv := range kvs {
		var cc cachedConv
		if json.Unmarshal(kv.Value, &cc) != nil || cc.Conv.ID == "" {
			continue
		}
		c := newConv(cc.Conv)
		c.pending, c.failed, c.noOlder, c.events = cc.Pending, cc.Failed, cc.NoOlder, cc.Events
		e.convs[cc.Conv.ID] = c
	}
	kvs, err = st.List(ctx, BucketMessages)
	fail(err)
	for _, kv := range kvs {
		c := e.convs[kv.Key]
		var msgs []shared.Message
		if c == nil || shared.DecodeJSON(kv.Value, &msgs) != nil { // by hand: shared/wiredecode.go
			continue
		}
		for _, m := range msgs {
			c.merge(m)
		}
	}
	kvs, err = st.List(ctx, BucketOutbox)
	fail(err)
	e.outbox = e.outbox[:0]
	for _, kv := range kvs {
		a, err := decodeAction(kv)
		if err != nil {
			e.log.Warn("client: outbox entry", "key", kv.Key, "err", err)
			continue
		}
		e.lastOrder = max(e.lastOrder, keyOrder(kv.Key))
		e.outbox = append(e.outbox, a)
	}
	kvs, err = st.List(ctx, BucketDrafts)
	fail(err)
	for _, kv := range kvs {
		e.drafts[kv.Key] = string(kv.Value)
	}
	kvs, err = st.List(ctx, BucketRedirects)
	fail(err)
	for _, kv := range kvs {
		e.redirects[kv.Key] = string(kv.Value)
	}
	if noUser && (len(e.outbox) > 0 || len(e.drafts) > 0 || len(e.convs) > 0 || len(e.redirects) > 0) {
		// Data without its user: a wipe (a revocation, a sign-out) removes
		// the user's record with everything else in one step, so this is
		// what a tab that had not heard of the wipe yet wrote afterwards
		// and could not wipe again before it died. It belongs to nobody
		// signed in here: drop it. (The user's record is written at sign-in
		// and at every welcome, before anything can be queued or drafted.)
		e.log.Warn("client: dropping data left by a signed-out user", "actions", len(e.outbox), "drafts", len(e.drafts))
		fail(e.clearStorage())
		e.clearMemory()
	}
	e.expireOld()
}

// dropConv forgets a conversation that is no longer the user's. Queued
// actions for it stay, to fail with the server's reason. Callers hold e.mu.
func (e *Engine) dropConv(id string) {
	if _, ok := e.convs[id]; !ok {
		return
	}
	delete(e.convs, id)
	e.dirty.conv(id)
	e.setDraft(id, "")
	e.scheduleFlush()
	e.touch()
}

// DraftNew is the draft key of the new-conversation form (store the form's
// JSON there).
const DraftNew = "new"

// Draft returns the saved draft for key: a conversation id, or DraftNew.
func (e *Engine) Draft(key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.drafts[key]; ok {
		return t
	}
	return e.drafts[e.resolve(key)]
}

// SetDraft saves the draft for key as the user types; "" deletes it. Writes
// are batched (about 300ms) but never lost: Stop and Flush write the last one.
func (e *Engine) SetDraft(key, text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if key == "" {
		return
	}
	e.setDraft(e.resolveDraftKey(key), text)
}

func (e *Engine) resolveDraftKey(key string) string {
	if key == DraftNew {
		return key
	}
	return e.resolve(key)
}

// setDraft changes a draft in memory and queues its write. Callers hold e.mu.
func (e *Engine) setDraft(key, text string) {
	if e.wiped {
		return
	}
	if old, ok := e.drafts[key]; ok == (text != "") && old == text {
		return
	}
	if text == "" {
		delete(e.drafts, key)
	} else {
		e.drafts[key] = text
	}
	e.dirty.drafts[key] = true
	e.scheduleFlush()
}
