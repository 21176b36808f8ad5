package client

import (
	"fmt"
	"time"

	"natter/shared"
)

// applyAck merges an action's result and only then drops it from the
// outbox. Callers hold e.mu.
func (e *Engine) applyAck(s *session, a *action, ack shared.Ack) {
	switch a.Type {
	case shared.TypeMessageSend:
		if ack.Message != nil {
			e.mergeMessage(*ack.Message)
		}
	case shared.TypeConversationCreate:
		if ack.Conversation != nil {
			c := e.upsert(s, *ack.Conversation)
			c.leftOut = ack.LeftOut
			if ack.Conversation.ID != a.Conv {
				e.redirect(a.Conv, ack.Conversation.ID)
			}
		} else if c := e.convs[a.Conv]; c != nil {
			c.pending = false
			e.dirty.conv(a.Conv)
		}
	case shared.TypeSeenMark:
		if ack.Seen != nil {
			e.seenMoved(a.Conv, *ack.Seen)
		}
	case shared.TypeConversationLeave:
		e.dropConv(a.Conv)
	case shared.TypeMessageEdit, shared.TypeMessageDelete, shared.TypeReactionSet:
		if ack.Message != nil {
			e.mergeChanged(*ack.Message)
		}
	case shared.TypeConversationMute:
		if ack.Mute != nil {
			e.setMute(*ack.Mute, true)
		}
	default:
		if ack.Conversation != nil {
			e.upsert(s, *ack.Conversation)
		}
	}
	e.settleAction(a)
	s.wake()
}

// redirect moves everything made for a conversation created offline to the
// existing one-to-one the server answered with. Callers hold e.mu.
func (e *Engine) redirect(from, to string) {
	e.redirects[from] = to
	e.dirty.redirects[from] = true
	for _, a := range e.outbox {
		if a.Conv == from && a.Type != shared.TypeConversationCreate {
			a.setConversation(to)
			if err := e.putAction(a); err != nil {
				e.log.Warn("client: redirect action", "err", err)
			}
		}
	}
	if d, ok := e.drafts[from]; ok {
		if old := e.drafts[to]; old != "" && old != d {
			d = old + "\n" + d
		}
		e.setDraft(to, d)
		e.setDraft(from, "")
	}
	if c := e.convs[from]; c != nil {
		if dst := e.convs[to]; dst != nil {
			for _, m := range c.msgs {
				dst.merge(m)
			}
		}
		delete(e.convs, from)
		e.dirty.conv(from)
	}
	e.outboxChanged()
	e.touch()
}

// serverError handles an error event: terminal codes stop the loop, an
// error naming an outbox action fails it (permanent) or schedules a retry,
// an error naming a request answers it. Callers hold e.mu.
func (e *Engine) serverError(s *session, id string, se *shared.Error) error {
	switch se.Code {
	case shared.CodeSessionRevoked, shared.CodeUnauthorized, shared.CodeAccountDisabled:
		// The session is gone: the run loop wipes this device's copy of the
		// user's data once the connection has ended (see signedOut). Unless
		// this connection was dialed before a sign-in: then it is not.
		if (id == "" || se.Fatal) && s != nil && s.signIns != e.signIns {
			return fmt.Errorf("%w: %w", errStale, se)
		}
		if id == "" || se.Fatal {
			e.status = Status{State: StateSignedOut, LastError: se.Message, Code: se.Code}
			e.cfg.ResumeTokens.Set("")
			e.touch()
			return fmt.Errorf("%w: %w", errTerminal, se)
		}
	case shared.CodeUnsupportedVersion:
		e.status = Status{State: StateUpdateRequired, LastError: se.Message}
		e.touch()
		return fmt.Errorf("%w: %w", errTerminal, se)
	case shared.CodeTokenInvalid:
		e.cfg.ResumeTokens.Set("")
		if id == "" {
			if se.Fatal {
				return se
			}
			return nil
		}
	}
	if id != "" {
		if a := e.findAction(id); a != nil {
			if se.Permanent() {
				e.failAction(a, se)
			} else {
				a.inflight = false
				a.tries++
				wait := max(time.Duration(se.RetryAfter)*time.Millisecond, backoff(a.tries, e.cfg.Rand()))
				a.retryAt = time.Now().Add(wait)
				e.touch()
			}
			s.wake()
		} else if ch, ok := e.requests[id]; ok {
			delete(e.requests, id)
			ch <- reply{err: se}
		}
	}
	if se.Fatal {
		return se
	}
	if id == "" {
		e.log.Warn("client: server error", "code", se.Code, "msg", se.Message)
	}
	return nil
}
