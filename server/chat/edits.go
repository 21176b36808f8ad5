package chat

import (
	"context"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// Handlers of the changes to existing messages (shared/edits.go): edit,
// delete, react, replies and the edit history. Authorization is in the
// store's statements; every change is fanned out to the conversation's
// members as one messages.changed carrying its event seq.

func editMessage(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MessageEdit
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	c, err := s.store.EditMessage(ctx, a.UserID, env.ID, req)
	return s.changed(ctx, c, err)
}

func deleteMessage(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MessageDelete
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	c, err := s.store.DeleteMessage(ctx, a.UserID, env.ID, req)
	return s.changed(ctx, c, err)
}

func setReaction(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ReactionSet
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	c, err := s.store.SetReaction(ctx, a.UserID, env.ID, req)
	return s.changed(ctx, c, err)
}

// changed acks a change with its target (the lowest seq it changed: the
// replies a deletion updates come after it) and fans it out. A replayed
// action is fanned out again, in its current state: a crash between the
// commit and the publish must not leave members without it, and clients
// apply a message only when its event is not older than theirs.
func (s *Service) changed(ctx context.Context, c store.MessageChange, err error) (*shared.Ack, []hub.Event, error) {
	if err != nil {
		return nil, nil, err
	}
	if len(c.Messages) == 0 {
		return nil, nil, &shared.Error{Code: shared.CodeMessageNotFound, Message: "That message no longer exists."}
	}
	ack := &shared.Ack{Message: &c.Messages[0]}
	if c.EventSeq == 0 {
		return ack, nil, nil // nothing ever changed
	}
	var members []int64
	retry(ctx, s.log, "changes: members", func(ctx context.Context) (err error) {
		members, err = s.store.MemberIDs(ctx, c.ConversationID)
		return err
	})
	ev := shared.MessagesChanged{ConversationID: c.ConversationID, From: c.EventSeq - 1, EventSeq: c.EventSeq, Messages: c.Messages}
	return ack, []hub.Event{{UserIDs: members, Payload: encode(shared.TypeMessagesChanged, "", 0, ev)}}, nil
}

// isReply reports whether a send answers another message: replies skip
// the pipeline and the group commit (store.SendReply).
func isReply(req shared.MessageSend) bool {
	return req.ReplyTo != 0 || req.ReplyToAction != ""
}

// sendOrReply is the message.send handler for sends that did not take the
// pipeline: replies, and malformed sends (which send refuses).
func sendOrReply(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MessageSend
	if err := decode(env, &req); err != nil || !isReply(req) {
		return send(ctx, s, a, env)
	}
	msg, members, err := s.store.SendReply(ctx, a.UserID, env.ID, req)
	if err != nil {
		return nil, nil, err
	}
	if members == nil { // a replay: announced again, as the group commit does
		retry(ctx, s.log, "reply: members", func(ctx context.Context) (err error) {
			members, err = s.store.MemberIDs(ctx, msg.ConversationID)
			return err
		})
	}
	return &shared.Ack{Message: &msg}, []hub.Event{{UserIDs: members,
		Payload: encode(shared.TypeMessageCreated, "", msg.Seq, &msg)}}, nil
}

func queryEdits(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.EditsQuery
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	e, err := s.store.MessageEdits(ctx, a.UserID, req.ConversationID, req.Seq)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Edits: &e}, nil, nil
}
