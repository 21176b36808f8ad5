package client

import (
	"context"
	"errors"
	"time"

	"natter/shared"
)

// HistoryPage is how many older messages LoadOlder asks for at a time.
const HistoryPage = 100

// ErrOffline is returned by requests that need the server right now
// (history, seen-by) while there is no connection.
var ErrOffline = errors.New("client: not connected to the server; try again when back online")

// request sends a non-durable request and waits for its answer. A request
// refused for the read budget (someone scrolling back through years at
// once) waits as long as the server says and asks again, up to ctx.
func (e *Engine) request(ctx context.Context, typ string, data any) (shared.Envelope, error) {
	for {
		env, err := e.requestOnce(ctx, typ, data)
		var se *shared.Error
		if !errors.As(err, &se) || se.Code != shared.CodeRateLimited {
			return env, err
		}
		wait := time.Duration(max(se.RetryAfter, 1)) * time.Millisecond
		select {
		case <-ctx.Done():
			return env, err
		case <-time.After(wait):
		}
	}
}

func (e *Engine) requestOnce(ctx context.Context, typ string, data any) (shared.Envelope, error) {
	id := shared.NewUUIDv7()
	ch := make(chan reply, 1)
	e.mu.Lock()
	s := e.sess
	// Offline as soon as the browser says so: the session it cancelled
	// ends a moment later, and a request sent on it meanwhile would fail
	// as "connection lost" instead of ErrOffline.
	if s == nil || !s.welcome || !e.online {
		e.mu.Unlock()
		return shared.Envelope{}, ErrOffline
	}
	e.requests[id] = ch
	e.mu.Unlock()
	if err := s.send(typ, id, data); err != nil {
		e.mu.Lock()
		delete(e.requests, id)
		e.mu.Unlock()
		return shared.Envelope{}, ErrOffline
	}
	select {
	case r := <-ch:
		return r.env, r.err
	case <-ctx.Done():
		e.mu.Lock()
		delete(e.requests, id)
		e.mu.Unlock()
		return shared.Envelope{}, ctx.Err()
	}
}

// LoadOlder merges the page of history just before the oldest message
// held (the newest page when none is held): the one read ahead when there
// is one (readahead.go), else one fetched now. Then it reads the next page
// ahead. The UI calls it when the user scrolls to the top while
// ConvView.HasOlder.
func (e *Engine) LoadOlder(ctx context.Context, convID string) error {
	e.mu.Lock()
	convID = e.resolve(convID)
	c := e.convs[convID]
	if c == nil || c.pending {
		e.mu.Unlock()
		return nil
	}
	e.scheduleHistoryFlush() // the reader is stepping back: not now
	var before int64
	if len(c.msgs) > 0 {
		before = c.msgs[0].Seq
	}
	e.mu.Unlock()
	if before == 1 {
		return nil
	}
	hist, ok, err := e.takeAhead(ctx, c, true)
	if err != nil {
		return err
	}
	if !ok {
		if hist, err = e.fetchHistory(ctx, shared.TypeHistoryFetch, shared.HistoryFetch{ConversationID: convID, Before: before, Limit: HistoryPage}); err != nil {
			return err
		}
	}
	e.mergePage(convID, hist, e.readAhead)
	return nil
}

// loadPage asks for one page of a conversation's history (history.fetch or
// history.around) and merges it (mergePage).
func (e *Engine) loadPage(ctx context.Context, convID, typ string, req any, then func(*conv)) error {
	hist, err := e.fetchHistory(ctx, typ, req)
	if err != nil {
		return err
	}
	e.mergePage(convID, hist, then)
	return nil
}

// fetchHistory asks for one page of history; nil when the answer holds none.
func (e *Engine) fetchHistory(ctx context.Context, typ string, req any) (*shared.History, error) {
	env, err := e.request(ctx, typ, req)
	if err != nil {
		return nil, err
	}
	var ack shared.Ack
	if err := decode(env, &ack); err != nil {
		return nil, err
	}
	return ack.History, nil
}

// mergePage merges a page of a conversation's history; then, still under
// the lock, runs then (if any) on the conversation. A conversation removed
// while the request was out is left alone: merging would bring it back.
func (e *Engine) mergePage(convID string, hist *shared.History, then func(*conv)) {
	if hist == nil {
		return
	}
	e.mu.Lock()
	defer e.unlock()
	c := e.convs[convID]
	if c == nil {
		return
	}
	page := make([]shared.Message, 0, len(hist.Messages))
	for _, m := range hist.Messages {
		if m.ConversationID == "" {
			m.ConversationID = convID
		}
		if m.ConversationID != convID {
			e.mergeMessage(m) // not this conversation's: where it belongs
			continue
		}
		if m.Seq > 0 {
			page = append(page, m)
		}
	}
	if c.mergeOlder(page) {
		e.touch()
	}
	if !hist.More {
		c.noOlder = true
	}
	e.dirty.conv(convID)
	e.scheduleHistoryFlush()
	e.touch()
	if then != nil {
		then(c)
	}
}

// SeenBy asks the server who has seen message seq of a conversation, and when.
func (e *Engine) SeenBy(ctx context.Context, convID string, seq int64) (shared.SeenBy, error) {
	e.mu.Lock()
	convID = e.resolve(convID)
	e.mu.Unlock()
	env, err := e.request(ctx, shared.TypeSeenQuery, shared.SeenQuery{ConversationID: convID, Seq: seq})
	if err != nil {
		return shared.SeenBy{}, err
	}
	var ack shared.Ack
	if err := decode(env, &ack); err != nil {
		return shared.SeenBy{}, err
	}
	if ack.SeenBy == nil {
		return shared.SeenBy{ConversationID: convID, Seq: seq}, nil
	}
	return *ack.SeenBy, nil
}

// SetViewing tells the others where this user is reading: anchored to a
// message seq plus an offset in thousandths of its height. Ephemeral: sent
// only while connected, never queued; repeats of the same position are not
// sent. seq 0 means the user stopped viewing.
func (e *Engine) SetViewing(convID string, seq int64, offset int) {
	e.mu.Lock()
	s := e.sess
	convID = e.resolve(convID)
	if s == nil || !s.welcome {
		e.mu.Unlock()
		return
	}
	rp := shared.ReadPosition{ConversationID: convID, Seq: seq, Offset: offset}
	if seq <= 0 {
		rp = shared.ReadPosition{} // no conversation: the server stops showing this reader
	}
	if s.lastPos == rp {
		e.mu.Unlock()
		return
	}
	s.lastPos = rp
	e.mu.Unlock()
	go s.send(shared.TypeReadPosition, "", rp)
}

// Focus names the conversation on screen ("" for none). Every hello from
// now on asks the server to replay it before the others (Hello.Focus), so
// a deep link, or the page someone is reading when the network comes back,
// fills before conversations with more missed traffic.
func (e *Engine) Focus(convID string) {
	e.mu.Lock()
	e.focus = convID
	e.mu.Unlock()
}

// typingEvery throttles outgoing typing signals per conversation. It is
// shorter than the time a signal shows (typingTTL, and the server's
// chat.TypingTTL), so someone typing steadily stays shown without gaps.
const typingEvery = time.Second

// Typing tells the others this user is typing in the conversation; call it
// on input. Ephemeral and throttled.
func (e *Engine) Typing(convID string) {
	e.mu.Lock()
	s := e.sess
	convID = e.resolve(convID)
	if s == nil || !s.welcome {
		e.mu.Unlock()
		return
	}
	now := time.Now()
	if last, ok := s.lastTyping[convID]; ok && now.Sub(last) < typingEvery {
		e.mu.Unlock()
		return
	}
	s.lastTyping[convID] = now
	e.mu.Unlock()
	go s.send(shared.TypeTyping, "", shared.Typing{ConversationID: convID})
}
