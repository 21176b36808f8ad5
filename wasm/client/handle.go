package client

import (
	"fmt"
	"time"

	"natter/shared"
)

// reply answers a non-durable request (history, seen query).
type reply struct {
	env shared.Envelope
	err error
}

// incoming is a live message to pass to Config.OnIncoming after the lock.
type incoming struct {
	m shared.Message
	v ConvView
}

// handle applies the envelopes of one frame under one lock, so a batched
// frame (a replay page, a burst of acks) costs the UI one notification. A
// non-nil error ends the connection.
func (e *Engine) handle(s *session, envs []shared.Envelope) error {
	var notes []incoming
	var err error
	e.mu.Lock()
	if e.sess != s {
		e.mu.Unlock()
		return nil
	}
	for _, env := range envs {
		if err = e.apply(s, env, &notes); err != nil {
			break
		}
	}
	e.scheduleFlush()
	e.unlock()
	if fn := e.cfg.OnIncoming; fn != nil {
		for _, n := range notes {
			fn(n.m, n.v)
		}
	}
	return err
}

// apply dispatches on the envelope type; unknown types are ignored so the
// server may add them within a protocol version. Callers hold e.mu.
func (e *Engine) apply(s *session, env shared.Envelope, notes *[]incoming) error {
	switch env.Type {
	case shared.TypePing:
		go s.send(shared.TypePong, env.ID, nil)
	case shared.TypeWelcome:
		var w shared.Welcome
		if err := decode(env, &w); err != nil {
			return err
		}
		e.welcome(s, w)
	case shared.TypeConversationUpdated:
		var c shared.Conversation
		if err := decode(env, &c); err != nil || c.ID == "" {
			return nil
		}
		if c.Delta {
			held := e.convs[c.ID]
			if held == nil {
				return nil // nothing to merge into: the whole one comes with the next resume
			}
			c = shared.MergeDelta(held.c, c)
		}
		e.upsert(s, c)
	case shared.TypeMessageCreated:
		var m shared.Message
		if err := decode(env, &m); err != nil {
			return nil
		}
		if m.Seq == 0 {
			m.Seq = env.Seq
		}
		c, isNew := e.mergeMessage(m)
		if c != nil {
			// Even when already held (its ack came first): a lost
			// event just below it still leaves a hole.
			e.fillHole(s, c)
		}
		if c != nil && c.typing != nil {
			delete(c.typing, m.SenderID) // their message is here: they stopped typing it
		}
		if c != nil && isNew && s.caught && !s.quiet[m.ConversationID] && m.SenderID != e.me.ID {
			// A mention notifies even in a muted conversation.
			if !e.mutedLocked(c.c.ID) || shared.Mentioned(m.Body, e.me.Nickname) {
				*notes = append(*notes, incoming{m, e.view(c, e.cfg.Now())})
			}
		}
	case shared.TypeMessagesChanged:
		var mc shared.MessagesChanged
		if decode(env, &mc) == nil {
			e.messagesChanged(mc, notes)
		}
	case shared.TypeCaughtUp:
		var cu shared.CaughtUp
		_ = decode(env, &cu)
		e.caughtUp(s, cu)
		e.mutesCaughtUp(cu.Mutes)
	case shared.TypeMuteChanged:
		e.muteEvent(env)
	case shared.TypeConversationRemoved:
		var r shared.ConversationRemoved
		if decode(env, &r) == nil {
			e.dropConv(r.ConversationID)
		}
	case shared.TypeSeenMoved:
		var sm shared.SeenMoved
		if decode(env, &sm) == nil {
			e.seenMoved(sm.ConversationID, sm.Seen)
		}
	case shared.TypePresence:
		var p shared.Presence
		if decode(env, &p) == nil {
			if c := e.convs[p.ConversationID]; c != nil {
				c.viewers = c.viewers[:0]
				for _, v := range p.Viewers {
					if v.UserID != e.me.ID {
						c.viewers = append(c.viewers, v)
					}
				}
				e.touch()
			}
		}
	case shared.TypeReadPositionEvent:
		var rp shared.ReadPosition
		if decode(env, &rp) == nil && rp.UserID != e.me.ID {
			e.readPosition(rp)
		}
	case shared.TypeTypingEvent:
		var t shared.Typing
		if decode(env, &t) == nil && t.UserID != e.me.ID {
			e.typing(t)
		}
	case shared.TypeAck:
		var ack shared.Ack
		_ = decode(env, &ack)
		if a := e.findAction(env.ID); a != nil {
			e.applyAck(s, a, ack)
		} else if ch, ok := e.requests[env.ID]; ok {
			delete(e.requests, env.ID)
			ch <- reply{env: env}
		}
	case shared.TypeError:
		var se shared.Error
		if err := decode(env, &se); err != nil {
			return nil
		}
		return e.serverError(s, env.ID, &se)
	}
	return nil
}

func decode(env shared.Envelope, v any) error {
	if len(env.Data) == 0 {
		return nil
	}
	// Messages and conversations are decoded by hand (shared's
	// wiredecode.go), without encoding/json's reflection.
	err := shared.DecodeJSON(env.Data, v)
	if err != nil {
		return fmt.Errorf("client: decode %s: %w", env.Type, err)
	}
	return nil
}

// welcome starts the connected state. A different account than the cached
// one (another sign-in in this browser) starts from an empty cache, and its
// predecessor's queued actions are held back as failed, never sent under the
// wrong name. Callers hold e.mu.
func (e *Engine) welcome(s *session, w shared.Welcome) {
	if e.me.ID != 0 && w.User.ID != 0 && w.User.ID != e.me.ID {
		for id := range e.convs {
			e.dropConv(id)
		}
		for k := range e.redirects {
			delete(e.redirects, k)
			e.dirty.redirects[k] = true
		}
		for _, a := range e.outbox {
			if a.UserID != 0 && a.UserID != w.User.ID && a.Failed == "" {
				e.failAction(a, &shared.Error{Code: shared.CodeUnauthorized, Message: "This was queued while signed in as another account."})
			}
		}
	}
	e.me = w.User
	if w.BodyMax > 0 {
		e.bodyMax = w.BodyMax
	}
	e.dirty.meta = true
	if w.ResumeToken != "" {
		e.cfg.ResumeTokens.Set(w.ResumeToken)
	}
	if w.Heartbeat > 0 {
		s.hb.Store(int64(time.Duration(w.Heartbeat) * time.Millisecond))
	}
	s.welcome = true
	e.online = true // the server answered: whatever navigator.onLine said, the network works
	e.status = Status{State: StateConnected}
	e.touch()
	s.wake()
}

// upsert stores the server's whole state of a conversation. Callers hold e.mu.
func (e *Engine) upsert(s *session, sc shared.Conversation) *conv {
	if s.paging && !s.listed[sc.ID] {
		s.quiet[sc.ID] = true
	}
	s.listed[sc.ID] = true
	c := e.convs[sc.ID]
	if c == nil {
		c = newConv(sc)
		e.convs[sc.ID] = c
	} else {
		c.setConversation(sc)
	}
	e.dirty.conv(sc.ID)
	e.touch()
	return c
}

// mergeMessage adds a confirmed message from any source and reports whether
// it was new. Callers hold e.mu.
func (e *Engine) mergeMessage(m shared.Message) (*conv, bool) {
	if m.ConversationID == "" || m.Seq <= 0 {
		return nil, false
	}
	c := e.convs[m.ConversationID]
	if c == nil {
		// A message for a conversation not yet described: hold it; its
		// conversation.updated fills in the rest.
		c = newConv(shared.Conversation{ID: m.ConversationID, CreatedAt: m.CreatedAt})
		e.convs[m.ConversationID] = c
		if e.sess != nil {
			e.sess.listed[m.ConversationID] = true
		}
	}
	isNew := !c.has(m.Seq)
	if c.merge(m) {
		e.dirty.conv(m.ConversationID)
		e.touch()
	}
	return c, isNew
}

// caughtUp ends the replay: cut conversations whose replay skipped older
// messages and forget conversations the server no longer lists. When the
// replay described only the most recent conversations, the rest are paged
// in first (pageConversations), and only then is anything forgotten.
// Callers hold e.mu.
func (e *Engine) caughtUp(s *session, cu shared.CaughtUp) {
	e.cutGaps(cu.Gaps)
	if cu.MoreConversations {
		s.paging = true
		go e.pageConversations(s)
	} else {
		e.dropUnlisted(s)
	}
	s.caught = true
	e.status.CaughtUp = true
	e.touch()
}

// cutGaps marks conversations whose replay was cut to the newest page:
// what lies below is older history, fetched as the user scrolls. Callers
// hold e.mu.
func (e *Engine) cutGaps(gaps map[string]int64) {
	for id, low := range gaps {
		if c := e.convs[id]; c != nil {
			c.cutBelow(low)
			e.dirty.conv(id)
		}
	}
}

// dropUnlisted forgets the conversations the server did not describe on
// this connection, once it has described them all. Callers hold e.mu.
func (e *Engine) dropUnlisted(s *session) {
	for id, c := range e.convs {
		if s.listed[id] {
			continue
		}
		if c.pending {
			if a := e.createAction(id); a != nil {
				continue
			}
		}
		e.dropConv(id)
	}
}

func (e *Engine) createAction(convID string) *action {
	for _, a := range e.outbox {
		if a.Type == shared.TypeConversationCreate && a.Conv == convID {
			return a
		}
	}
	return nil
}

func (e *Engine) seenMoved(convID string, sn shared.Seen) {
	c := e.convs[convID]
	if c == nil {
		return
	}
	if m := c.c.Member(sn.UserID); m != nil && sn.Seq > m.SeenSeq {
		m.SeenSeq = sn.Seq
		at := sn.At
		m.SeenAt = &at
		e.dirty.conv(convID)
		e.touch()
	}
}

func (e *Engine) readPosition(rp shared.ReadPosition) {
	c := e.convs[rp.ConversationID]
	if c == nil {
		return
	}
	for i := range c.viewers {
		if c.viewers[i].UserID == rp.UserID {
			c.viewers[i] = rp
			e.touch()
			return
		}
	}
	c.viewers = append(c.viewers, rp)
	e.touch()
}

// typingTTL is the longest a typing signal shows, counted from its arrival:
// the indicator goes about this long after the last keystroke. The
// server's Until is taken only when sooner, so a clock that runs behind the
// server's cannot make the indicator linger.
const typingTTL = 1500 * time.Millisecond

func (e *Engine) typing(t shared.Typing) {
	c := e.convs[t.ConversationID]
	if c == nil {
		return
	}
	now := e.cfg.Now()
	until := t.Until
	if !until.After(now) || until.Sub(now) > typingTTL {
		until = now.Add(typingTTL)
	}
	if c.typing == nil {
		c.typing = map[int64]typist{}
	}
	c.typing[t.UserID] = typist{nick: t.Nickname, until: until}
	e.touch()
	time.AfterFunc(until.Sub(now)+10*time.Millisecond, func() {
		e.mu.Lock()
		defer e.unlock()
		if c.typing != nil && !c.typing[t.UserID].until.After(e.cfg.Now()) {
			delete(c.typing, t.UserID)
			e.touch()
		}
	})
}
