package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"natter/server/hub"
	"natter/server/resume"
	"natter/shared"
)

// hello answers the opening envelope: it checks the protocol version, sends
// welcome, then for every conversation of the user its whole state and the
// messages after the client's cursor (the newest page when more were missed),
// then caught_up. The client is attached to the hub before the replay reads
// the database, so an event committed meanwhile is delivered live too; the
// client merges by seq, so nothing is missed and nothing shows twice.
func (c *Conn) hello(ctx context.Context, env shared.Envelope) bool {
	var h shared.Hello
	if err := json.Unmarshal(env.Data, &h); err != nil {
		c.fatal(env.ID, &shared.Error{Code: shared.CodeMalformed, Message: "The hello message is malformed."})
		return false
	}
	if h.Protocol < shared.MinProtocolVersion || h.Protocol > shared.ProtocolVersion {
		c.fatal(env.ID, &shared.Error{Code: shared.CodeUnsupportedVersion,
			Message: fmt.Sprintf("This app speaks protocol %d; the server speaks %d to %d. Reload to update.", h.Protocol, shared.MinProtocolVersion, shared.ProtocolVersion)})
		return false
	}
	c.device = truncate(h.Device, 64)
	w := shared.Welcome{
		Protocol:   shared.ProtocolVersion,
		User:       c.user,
		ServerTime: time.Now().UTC(),
		BodyMax:    c.s.cfg.BodyMax,
		Heartbeat:  int(c.s.cfg.Heartbeat / time.Millisecond),
	}
	var pre [][]byte // what must reach the client before the welcome
	if kr := c.s.cfg.TokenKeys; kr != nil {
		if h.ResumeToken != "" {
			claims, err := kr.Open(h.ResumeToken)
			switch {
			case err != nil:
				pre = append(pre, errorEnvelope("", &shared.Error{Code: shared.CodeTokenInvalid, Message: err.Error()}))
			case claims.SessionID != c.sess.ID || claims.UserID != c.user.ID:
				pre = append(pre, errorEnvelope("", &shared.Error{Code: shared.CodeTokenInvalid, Message: "The resume token belongs to another session."}))
			default:
				w.Resumed = true
				if h.Cursors == nil {
					h.Cursors = claims.Cursors
				}
			}
		}
		tok, err := kr.Seal(resume.Claims{UserID: c.user.ID, SessionID: c.sess.ID, Device: c.device, Cursors: h.Cursors})
		if err == nil {
			w.ResumeToken = tok
		}
	}
	// The welcome (after a refused token's error, which the client must
	// read before the welcome's new token) goes first, ahead of whatever
	// was fanned out to this client since it was attached, and the writer
	// starts.
	c.client.Release(append(pre, encode(shared.TypeWelcome, env.ID, 0, w))...)
	if err := c.replay(ctx, h); err != nil {
		if !errors.Is(err, context.Canceled) {
			c.s.log.Error("chat: replay", "user", c.user.ID, "err", err)
		}
		c.fatal("", &shared.Error{Code: shared.CodeUnavailable, Message: "The server could not load your conversations. Reconnecting."})
		return false
	}
	return true
}

// replay describes the user's conversations and sends what they missed.
// A client that pages (Hello.PageConversations) gets the most recently
// active ones now and fetches the rest with conversations.fetch, which
// replays each page the same way: a person in hundreds of conversations
// (or someone added to hundreds by a spammer) does not get them all pushed
// on every reconnect before anything else.
func (c *Conn) replay(ctx context.Context, h shared.Hello) error {
	c.cursors, c.events = h.Cursors, h.EventCursors
	var convs []shared.Conversation
	var more bool
	var err error
	if n := h.PageConversations; n > 0 {
		convs, more, err = c.s.store.RecentConversations(ctx, c.user.ID, min(n, shared.ReplayConversationsMax))
	} else {
		convs, err = c.s.store.ConversationsForUser(ctx, c.user.ID)
	}
	if err != nil {
		return err
	}
	focusFirst(convs, h.Focus)
	gaps, err := c.replayConversations(ctx, convs)
	if err != nil || gaps == nil {
		return err
	}
	mutes, err := c.s.store.Mutes(ctx, c.user.ID) // see mute.go
	if err != nil {
		return err
	}
	c.client.Send(encode(shared.TypeCaughtUp, "", 0, shared.CaughtUp{Gaps: gaps, MoreConversations: more, Mutes: mutes}))
	return nil
}

// focusFirst moves the conversation with id focus to the front of convs,
// keeping the others in their order; convs holds only the user's own
// conversations, so a foreign id finds nothing to move.
func focusFirst(convs []shared.Conversation, focus string) {
	if focus == "" {
		return
	}
	for i := range convs {
		if convs[i].ID == focus {
			f := convs[i]
			copy(convs[1:i+1], convs[:i])
			convs[0] = f
			return
		}
	}
}

// replayConversations sends each conversation's state and the messages
// after the client's cursor for it (the newest ReplayPageMax when more were
// missed; gaps says where those start). A nil map means the client left.
func (c *Conn) replayConversations(ctx context.Context, convs []shared.Conversation) (map[string]int64, error) {
	gaps := map[string]int64{}
	for i := range convs {
		conv := &convs[i]
		if err := c.client.SendWait(ctx, encode(shared.TypeConversationUpdated, "", 0, conv)); err != nil {
			return nil, nil // the client is gone; it resumes later
		}
		from := max(c.cursors[conv.ID], 0)
		if from >= conv.LastSeq {
			continue
		}
		if conv.LastSeq-from > shared.ReplayPageMax {
			from = conv.LastSeq - shared.ReplayPageMax
			gaps[conv.ID] = from + 1
		}
		for from < conv.LastSeq {
			msgs, err := c.s.store.MessagesAfter(ctx, conv.ID, from, 100)
			if err != nil {
				return nil, err
			}
			if len(msgs) == 0 {
				break
			}
			for j := range msgs {
				if err := c.client.SendWait(ctx, encode(shared.TypeMessageCreated, "", msgs[j].Seq, &msgs[j])); err != nil {
					return nil, nil
				}
			}
			from = msgs[len(msgs)-1].Seq
		}
	}
	if ok, err := c.replayChanges(ctx, convs); !ok || err != nil {
		return nil, err
	}
	return gaps, nil
}

// fetchConversations replays the next page of the user's conversations on
// the asking connection, the way hello replays the first, and acks with
// where the next page starts and which conversations were cut to their
// newest messages.
func fetchConversations(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationsFetch
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	if a.conn == nil {
		return nil, nil, &shared.Error{Code: shared.CodeInvalid, Message: "Conversations are fetched on a live connection."}
	}
	limit := req.Limit
	if limit <= 0 || limit > shared.ReplayConversationsMax {
		limit = shared.ReplayConversationsMax
	}
	convs, next, err := s.store.ConversationsAfter(ctx, a.UserID, req.After, limit)
	if err != nil {
		return nil, nil, err
	}
	gaps, err := a.conn.replayConversations(ctx, convs)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Page: &shared.ConversationPage{Conversations: []shared.Conversation{}, Next: next, Gaps: gaps}}, nil, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
