package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// handle runs one client envelope after hello. Every durable action is
// validated, applied in one transaction keyed by (user, action id), answered
// with ack or error naming the action id, and only then fanned out.
func (c *conn) handle(ctx context.Context, env shared.Envelope) {
	switch env.Type {
	case shared.TypePing:
		c.client.Send(mustEnvelope(shared.TypePong, env.ID, 0, nil))
		return
	case shared.TypePong:
		return
	case shared.TypeTyping, shared.TypeReadPosition:
		// Ephemeral signals are cheap and frequent: they do not spend the
		// action budget, and errors about them are not worth a reply.
		c.ephemeral(ctx, env)
		return
	}
	if ok, wait := c.bucket.take(); !ok {
		c.reply(env.ID, &shared.Error{Code: shared.CodeRateLimited, Message: "You are sending too fast; slow down a little.",
			RetryAfter: int(wait / time.Millisecond)})
		return
	}
	if shared.Durable(env.Type) && !shared.IsUUID(env.ID) {
		c.reply(env.ID, &shared.Error{Code: shared.CodeMalformed, Message: "A durable action needs an action id (a UUID)."})
		return
	}
	c.s.metrics.actions.Add(1)
	var err error
	switch env.Type {
	case shared.TypeMessageSend:
		err = c.send(ctx, env)
	case shared.TypeConversationCreate:
		var req shared.ConversationCreate
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, 0, func() (shared.Conversation, error) {
				return c.s.store.CreateConversation(ctx, c.user.ID, env.ID, req)
			})
		}
	case shared.TypeConversationRename:
		var req shared.ConversationRename
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, 0, func() (shared.Conversation, error) {
				return c.s.store.RenameConversation(ctx, c.user.ID, env.ID, req.ConversationID, req.Title)
			})
		}
	case shared.TypeConversationClose:
		var req shared.ConversationRef
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, 0, func() (shared.Conversation, error) {
				return c.s.store.CloseConversation(ctx, c.user.ID, env.ID, req.ConversationID)
			})
		}
	case shared.TypeConversationLeave:
		var req shared.ConversationRef
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, c.user.ID, func() (shared.Conversation, error) {
				return c.s.store.LeaveConversation(ctx, c.user.ID, env.ID, req.ConversationID)
			})
		}
	case shared.TypeMemberAdd:
		var req shared.MemberChange
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, 0, func() (shared.Conversation, error) {
				return c.s.store.AddMember(ctx, c.user.ID, env.ID, req.ConversationID, req.UserID)
			})
		}
	case shared.TypeMemberRemove:
		var req shared.MemberChange
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, req.UserID, func() (shared.Conversation, error) {
				return c.s.store.RemoveMember(ctx, c.user.ID, env.ID, req.ConversationID, req.UserID)
			})
		}
	case shared.TypeOwnerTransfer:
		var req shared.MemberChange
		if err = decode(env, &req); err == nil {
			err = c.conversationChange(ctx, env.ID, 0, func() (shared.Conversation, error) {
				return c.s.store.TransferOwner(ctx, c.user.ID, env.ID, req.ConversationID, req.UserID)
			})
		}
	case shared.TypeSeenMark:
		err = c.seen(ctx, env)
	case shared.TypeHistoryFetch:
		var req shared.HistoryFetch
		if err = decode(env, &req); err == nil {
			var h shared.History
			if h, err = c.s.store.History(ctx, c.user.ID, req.ConversationID, req.Before, req.Limit); err == nil {
				c.reply(env.ID, shared.Ack{History: &h})
			}
		}
	case shared.TypeSeenQuery:
		var req shared.SeenQuery
		if err = decode(env, &req); err == nil {
			var sb shared.SeenBy
			if sb, err = c.s.store.SeenBy(ctx, c.user.ID, req.ConversationID, req.Seq); err == nil {
				c.reply(env.ID, shared.Ack{SeenBy: &sb})
			}
		}
	default:
		err = &shared.Error{Code: shared.CodeUnknownType, Message: "Unknown message type " + quote(env.Type) + "."}
	}
	if err != nil {
		c.replyErr(env.ID, err)
	}
}

// replyErr sends a domain error as it is and hides internal ones behind a
// retryable code, logging them.
func (c *conn) replyErr(id string, err error) {
	var se *shared.Error
	if errors.As(err, &se) {
		c.reply(id, se)
		return
	}
	var fe *shared.FieldError
	if errors.As(err, &fe) {
		c.reply(id, &shared.Error{Code: fe.Code, Message: fe.Message, Field: fe.Field})
		return
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelDebug // the connection or the server is closing: the client retries
	}
	c.s.log.Log(context.Background(), level, "ws: action failed", "user", c.user.ID, "action", id, "err", err)
	c.reply(id, &shared.Error{Code: shared.CodeInternal, Message: "The server could not apply this right now; it will be retried."})
}

func decode(env shared.Envelope, v any) error {
	if len(env.Data) == 0 || json.Unmarshal(env.Data, v) != nil {
		return &shared.Error{Code: shared.CodeMalformed, Message: "The data of " + quote(env.Type) + " is missing or malformed."}
	}
	return nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// send posts a message through the group-commit batcher, acks it, and fans
// it out to every member after the commit.
func (c *conn) send(ctx context.Context, env shared.Envelope) error {
	var req shared.MessageSend
	if err := decode(env, &req); err != nil {
		return err
	}
	msg, err := c.s.sends.send(ctx, c.user.ID, env.ID, req.ConversationID, req.Body)
	if err != nil {
		return err
	}
	c.reply(env.ID, shared.Ack{Message: &msg}) // fan-out follows from the batcher
	return nil
}

// conversationChange applies a change to a conversation, acks it, and tells
// every member the new state; removed (when not 0) is told it lost access.
func (c *conn) conversationChange(ctx context.Context, id string, removed int64, apply func() (shared.Conversation, error)) error {
	conv, err := apply()
	if err != nil {
		return err
	}
	c.reply(id, shared.Ack{Conversation: &conv})
	c.s.publishConversation(conv, removed)
	return nil
}

func (s *Server) publishConversation(conv shared.Conversation, removed int64) {
	evs := []hub.Event{{UserIDs: memberIDs(conv), Payload: mustEnvelope(shared.TypeConversationUpdated, "", 0, conv)}}
	if removed != 0 && conv.Member(removed) == nil {
		reason := "removed"
		evs = append(evs, hub.Event{UserIDs: []int64{removed},
			Payload: mustEnvelope(shared.TypeConversationRemoved, "", 0, shared.ConversationRemoved{ConversationID: conv.ID, Reason: reason})})
	}
	s.hub.PublishBatch(evs)
}

func memberIDs(conv shared.Conversation) []int64 {
	ids := make([]int64, len(conv.Members))
	for i, m := range conv.Members {
		ids[i] = m.UserID
	}
	return ids
}

func (c *conn) seen(ctx context.Context, env shared.Envelope) error {
	var req shared.SeenMark
	if err := decode(env, &req); err != nil {
		return err
	}
	seen, moved, err := c.s.store.MarkSeen(ctx, c.user.ID, env.ID, req.ConversationID, req.Seq)
	if err != nil {
		return err
	}
	c.reply(env.ID, shared.Ack{Seen: &seen})
	if moved {
		var members []int64
		retry(ctx, c.s.log, "seen: members", func(ctx context.Context) (err error) {
			members, err = c.s.store.MemberIDs(ctx, req.ConversationID)
			return err
		})
		c.s.hub.Publish(hub.Event{UserIDs: members,
			Payload: mustEnvelope(shared.TypeSeenMoved, "", 0, shared.SeenMoved{ConversationID: req.ConversationID, Seen: seen})})
	}
	return nil
}

// ephemeral relays typing and read positions to the other members. They are
// dropped first under backpressure and never replayed.
func (c *conn) ephemeral(ctx context.Context, env shared.Envelope) {
	switch env.Type {
	case shared.TypeTyping:
		var t shared.Typing
		if decode(env, &t) != nil {
			return
		}
		conv, err := c.s.store.Conversation(ctx, c.user.ID, t.ConversationID)
		if err != nil || conv.ClosedAt != nil {
			return
		}
		t.UserID, t.Nickname, t.Until = c.user.ID, c.user.Nickname, time.Now().Add(6*time.Second).UTC()
		c.s.hub.Publish(hub.Event{UserIDs: memberIDs(conv), Ephemeral: true, ExceptSession: c.sess.ID,
			Payload: mustEnvelope(shared.TypeTypingEvent, "", 0, t)})
	case shared.TypeReadPosition:
		var p shared.ReadPosition
		if decode(env, &p) != nil {
			return
		}
		if p.ConversationID == "" {
			c.s.hub.StopViewing(c.client)
			c.viewing = ""
			return
		}
		if p.Seq < 0 || p.Offset < 0 || p.Offset > 1000 {
			return // an offset is thousandths of the anchor message's height
		}
		conv, err := c.s.store.Conversation(ctx, c.user.ID, p.ConversationID)
		if err != nil {
			return
		}
		p.UserID, p.Nickname = c.user.ID, c.user.Nickname
		c.viewing = p.ConversationID
		c.s.hub.SetViewing(c.client, p, memberIDs(conv))
	}
}
