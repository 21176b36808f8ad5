package client

import (
	"context"
	"encoding/json"
	"time"

	"natter/shared"
)

// Mute: the person's own setting per conversation, kept beside the
// conversations (BucketMeta, key mutesKey) so it holds offline and after a
// reload. Changing it is a durable action through the outbox like every
// other (replayed exactly once); the server's answer, its mute.changed
// events from the person's other devices and the list in caught_up merge
// by ChangedAt, the newest winning.

// mutesKey is the mutes' record in BucketMeta.
const mutesKey = "mutes"

// Mute queues muting a conversation until until, or for good with forever,
// or unmuting with neither, and shows the new state at once.
func (e *Engine) Mute(convID string, until *time.Time, forever bool) error {
	e.mu.Lock()
	defer e.unlock()
	c, err := e.target(convID)
	if err != nil {
		return err
	}
	req := shared.ConversationMute{ConversationID: c.c.ID, Forever: forever}
	if until != nil && !forever {
		u := until.UTC()
		req.Until = &u
	}
	if _, err := e.enqueue(shared.TypeConversationMute, req); err != nil {
		return err
	}
	m := shared.Mute{ConversationID: c.c.ID, Until: req.Until, ChangedAt: e.cfg.Now().UTC()}
	if forever {
		f := shared.MuteForever
		m.Until = &f
	}
	e.setMute(m, true)
	return nil
}

// Muted reports whether notifications of the conversation are silenced
// now: no local notification, no push, no share of the badge. Unread
// counts in the list are unchanged. A caller that notifies for its own
// reasons (an @mention) may choose to notify anyway.
func (e *Engine) Muted(convID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mutedLocked(e.resolve(convID))
}

// MutedUntil returns when the conversation's mute ends (shared.MuteForever
// for "until turned back on"), or nil when it is not muted now.
func (e *Engine) MutedUntil(convID string) *time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.resolve(convID)
	if !e.mutedLocked(id) {
		return nil
	}
	u := *e.mutes[id].Until
	return &u
}

// mutedLocked is Muted for callers holding e.mu.
func (e *Engine) mutedLocked(convID string) bool {
	m, ok := e.mutes[convID]
	return ok && m.Active(e.cfg.Now())
}

// setMute records m if it is newer than what is held (or force, for this
// device's own change and the server's answer to it). Callers hold e.mu.
func (e *Engine) setMute(m shared.Mute, force bool) {
	if m.ConversationID == "" {
		return
	}
	if e.mutes == nil {
		e.mutes = map[string]shared.Mute{}
	}
	if old, ok := e.mutes[m.ConversationID]; ok && !force && !m.ChangedAt.After(old.ChangedAt) {
		return
	}
	e.mutes[m.ConversationID] = m
	e.dirty.meta = true
	e.scheduleFlush()
	e.touch()
}

// muteEvent applies a mute.changed event or the ack of conversation.mute.
// Callers hold e.mu.
func (e *Engine) muteEvent(env shared.Envelope) {
	var m shared.Mute
	if decode(env, &m) == nil {
		e.setMute(m, false)
	}
}

// mutesCaughtUp merges the server's list. A mute of this device still in
// the outbox stays as shown: its answer comes after. Callers hold e.mu.
func (e *Engine) mutesCaughtUp(ms []shared.Mute) {
	queued := map[string]bool{}
	for _, a := range e.outbox {
		if a.Type == shared.TypeConversationMute {
			queued[a.Conv] = true
		}
	}
	for _, m := range ms {
		if !queued[m.ConversationID] {
			e.setMute(m, false)
		}
	}
}

// mutesWrite is the record of every mute, for the flush. Callers hold e.mu.
func (e *Engine) mutesWrite() Write {
	b, _ := json.Marshal(e.mutes)
	return Write{BucketMeta, mutesKey, b}
}

// loadMutes reads the mutes back at start. Callers hold e.mu.
func (e *Engine) loadMutes(ctx context.Context) {
	b, ok, err := e.cfg.Storage.Get(ctx, BucketMeta, mutesKey)
	if err != nil || !ok {
		return
	}
	var ms map[string]shared.Mute
	if json.Unmarshal(b, &ms) == nil {
		e.mutes = ms
	}
}
