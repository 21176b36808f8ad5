package client

import (
	"context"

	"natter/shared"
)

// AroundPage is how many messages LoadAround asks for around its target.
const AroundPage = 100

// LoadAround makes sure message seq of a conversation is held, for opening
// the conversation at it (a permalink, a search result). A message already
// held needs no server, so a permalink opens offline when it is cached;
// otherwise one history.around brings the page around it.
//
// That page usually lies below the held messages, leaving a run of missing
// seqs between it and them. The held messages must stay gap-free from the
// first one up (the resume cursor relies on it), so the existing hole fill
// fetches that run in the background, newest pages first: the target shows
// after one round trip, and scrolling down from it finds the rest.
// ErrOffline says the message is not here and there is no connection; a
// *shared.Error with CodeSeqOutOfRange says it does not exist.
func (e *Engine) LoadAround(ctx context.Context, convID string, seq int64) error {
	e.mu.Lock()
	convID = e.resolve(convID)
	c := e.convs[convID]
	if c == nil || c.pending {
		e.mu.Unlock()
		return nil // nothing to jump into; the page says the conversation is missing
	}
	if c.has(seq) {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	req := shared.HistoryAround{ConversationID: convID, Seq: seq, Limit: AroundPage}
	return e.loadPage(ctx, convID, shared.TypeHistoryAround, req, func(c *conv) {
		if s := e.sess; s != nil {
			e.fillHole(s, c) // the run between the page and the held messages
		}
	})
}

// Holds reports whether message seq of a conversation is held, so the UI
// can tell a target it can show from one it must wait for.
func (e *Engine) Holds(convID string, seq int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[e.resolve(convID)]
	return c != nil && c.has(seq)
}
