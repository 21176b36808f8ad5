package client

import (
	"context"
	"time"

	"natter/shared"
)

// Reading older history ahead. Once a page of older history is merged, the
// next one is asked for at once and held beside the conversation, not
// merged: the reader's next step up then merges it without waiting for the
// server, which was most of each step (a round trip of 15-30 ms before any
// drawing could begin). Held, not merged, because merging would grow the
// list before the reader got there, and the top they scroll to would again
// be the top of what is held.
//
// A page held ahead must never show an older state of a message than the
// server's. Changes to messages the conversation does not hold are not
// applied anywhere (changes.go), so:
//   - a change to a message older than the oldest held drops the page
//     (mergeChanged): the next step asks the server again;
//   - the page is used only on the connection it came on: a change made
//     while this device was away is replayed only for messages held;
//   - it is used only if the oldest message held is still the one it was
//     asked before (a cut, a trim or another page in between drop it).

// aheadWait bounds a read-ahead request; a step that finds it still out
// waits for it rather than asking twice.
const aheadWait = 30 * time.Second

// ahead is a page of older history asked for before the reader needed it.
type ahead struct {
	before int64         // the oldest seq held when it was asked for
	sess   *session      // the connection it was asked on
	done   chan struct{} // closed once hist and err are set
	hist   *shared.History
	err    error
}

// readAhead asks for the page before the oldest message held, unless the
// conversation has nothing older or a page is already held or out.
// Callers hold e.mu.
func (e *Engine) readAhead(c *conv) {
	// One conversation at a time holds a page: the reader is in one, and
	// the UI reads ahead for every conversation it opens.
	if o := e.convs[e.aheadConv]; o != nil && o != c {
		o.ahead = nil
	}
	e.aheadConv = c.c.ID
	s := e.sess
	if s == nil || !s.welcome || c.pending || c.noOlder || len(c.msgs) == 0 || c.msgs[0].Seq <= 1 {
		return
	}
	before := c.msgs[0].Seq
	if a := c.ahead; a != nil && a.before == before && a.sess == s {
		return
	}
	a := &ahead{before: before, sess: s, done: make(chan struct{})}
	c.ahead = a
	convID := c.c.ID
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), aheadWait)
		defer cancel()
		hist, err := e.fetchHistory(ctx, shared.TypeHistoryFetch, shared.HistoryFetch{ConversationID: convID, Before: before, Limit: HistoryPage})
		e.mu.Lock()
		a.hist, a.err = hist, err
		close(a.done)
		e.mu.Unlock()
	}()
}

// takeAhead returns the page held ahead for c if it fits before the oldest
// message held now, waiting for it while it is still out when wait is set
// (without it, a page still out is left for LoadOlder). ok is false when
// there is none to use: the caller asks the server.
func (e *Engine) takeAhead(ctx context.Context, c *conv, wait bool) (hist *shared.History, ok bool, err error) {
	e.mu.Lock()
	a := c.ahead
	fits := func() bool {
		return c.ahead == a && a.sess == e.sess && len(c.msgs) > 0 && c.msgs[0].Seq == a.before
	}
	if a == nil || !fits() {
		c.ahead = nil
		e.mu.Unlock()
		return nil, false, nil
	}
	e.mu.Unlock()
	if !wait {
		select {
		case <-a.done:
		default:
			return nil, false, nil // still out: kept for LoadOlder
		}
	} else {
		select {
		case <-a.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !fits() || a.err != nil || a.hist == nil {
		if c.ahead == a {
			c.ahead = nil
		}
		return nil, false, nil
	}
	c.ahead = nil
	return a.hist, true, nil
}

// ReadAhead asks for the page before the oldest message of a conversation
// held, to hold it ahead, unless it is already held or out: the UI calls it
// when a conversation is shown, so that even the first step up, however
// far, finds its page in.
func (e *Engine) ReadAhead(convID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.convs[e.resolve(convID)]; c != nil {
		e.readAhead(c)
	}
}

// LoadOlderHeld merges the next older page of a conversation if it has
// been read ahead, fits and is in, then reads the next one ahead; it never
// waits. It reports whether it merged: the UI then draws the page in the
// same update, without a spinner first, and calls LoadOlder otherwise.
func (e *Engine) LoadOlderHeld(convID string) bool {
	e.mu.Lock()
	convID = e.resolve(convID)
	c := e.convs[convID]
	if c != nil {
		e.scheduleHistoryFlush() // the reader is stepping back: not now
	}
	e.mu.Unlock()
	if c == nil {
		return false
	}
	hist, ok, _ := e.takeAhead(context.Background(), c, false)
	if ok {
		e.mergePage(convID, hist, e.readAhead)
	}
	return ok
}

// dropAhead forgets c's page held ahead when a change reaches a message
// it may hold (seq below the oldest held). Callers hold e.mu.
func (c *conv) dropAhead(seq int64) {
	if c.ahead != nil && seq < c.ahead.before {
		c.ahead = nil
	}
}
