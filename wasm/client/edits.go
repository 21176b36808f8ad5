package client

import (
	"context"
	"encoding/json"
	"slices"

	"natter/shared"
)

// Editing, deleting, reacting and replying (shared/edits.go), the outbox
// way. Each is an action of its own with its own id. A target still in the
// outbox is named by the action id of its send: the action waits behind
// that send and, once the send is acknowledged, goes out with the seq
// (resolveTarget). While the send has not left this engine, there is
// nothing to wait for: an edit changes what will be sent, a deletion takes
// it out of the outbox.

// Change names for MsgView.Change.
const (
	ChangeEdit     = "edit"
	ChangeDelete   = "delete"
	ChangeReaction = "reaction"
)

// errNoMessage refuses a change to a message this device does not hold.
var errNoMessage = &shared.Error{Code: shared.CodeMessageNotFound, Message: "That message is not on this device."}

// changeTarget is what a change action names, read back from its Data.
type changeTarget struct {
	Seq           int64  `json:"seq"`
	TargetAction  string `json:"target_action"`
	ReplyTo       int64  `json:"reply_to"`
	ReplyToAction string `json:"reply_to_action"`
	Body          string `json:"body"`
	Emoji         string `json:"emoji"`
	On            bool   `json:"on"`
}

func (a *action) target() changeTarget {
	var t changeTarget
	_ = json.Unmarshal(a.Data, &t)
	return t
}

// isChange reports whether a is an edit, deletion or reaction.
func (a *action) isChange() bool {
	switch a.Type {
	case shared.TypeMessageEdit, shared.TypeMessageDelete, shared.TypeReactionSet:
		return true
	}
	return false
}

// names reports whether a change action aims at the message with seq (or,
// while queued, at the send actionID).
func (t changeTarget) names(seq int64, actionID string) bool {
	return (seq > 0 && t.Seq == seq) || (actionID != "" && t.TargetAction == actionID)
}

// ref makes the reference to a message: by seq when confirmed, else by its
// send's action id (or its seq, if that send was acknowledged meanwhile).
func (e *Engine) ref(c *conv, seq int64, actionID string) (shared.MessageRef, error) {
	r := shared.MessageRef{ConversationID: c.c.ID, Seq: seq}
	if seq > 0 {
		return r, nil
	}
	if s, ok := c.actions[actionID]; ok {
		r.Seq = s
		return r, nil
	}
	if a := e.findAction(actionID); a != nil && a.Type == shared.TypeMessageSend {
		r.TargetAction = actionID
		return r, nil
	}
	return r, errNoMessage
}

// unsent returns the send actionID when it can still be changed in place:
// queued here by the tab that sends, never written to a connection.
func (e *Engine) unsent(seq int64, actionID string) *action {
	if seq > 0 || !e.sender {
		return nil
	}
	a := e.findAction(actionID)
	if a == nil || a.Type != shared.TypeMessageSend || !a.fresh || a.inflight || a.Failed != "" {
		return nil
	}
	return a
}

// rewrite replaces fields of an action's Data and stores it.
func (e *Engine) rewrite(a *action, set map[string]any, drop ...string) error {
	var m map[string]any
	if err := json.Unmarshal(a.Data, &m); err != nil {
		return err
	}
	for k, v := range set {
		m[k] = v
	}
	for _, k := range drop {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	a.Data = b
	a.derive()
	e.touch()
	e.outboxChanged()
	return e.putAction(a)
}

// pendingChange returns a queued change of typ to the target that has not
// left yet, to fold a new one into.
func (e *Engine) pendingChange(typ, convID string, seq int64, actionID string, same func(changeTarget) bool) *action {
	for _, a := range slices.Backward(e.outbox) {
		if a.Type == typ && a.Conv == convID && a.fresh && !a.inflight && a.Failed == "" && e.sender {
			if t := a.target(); t.names(seq, actionID) && same(t) {
				return a
			}
		}
	}
	return nil
}

// Edit changes the body of one of the user's messages: seq for a confirmed
// one, actionID (its send's) for one still queued.
func (e *Engine) Edit(convID string, seq int64, actionID, body string) error {
	e.mu.Lock()
	defer e.unlock()
	body = shared.NormalizeBody(body)
	if fe := shared.ValidateBody(body, e.bodyMax); fe != nil {
		return fe
	}
	c, err := e.target(convID)
	if err != nil {
		return err
	}
	if a := e.unsent(seq, actionID); a != nil {
		return e.rewrite(a, map[string]any{"body": body})
	}
	if c.c.ClosedAt != nil {
		return &shared.Error{Code: shared.CodeClosed, Message: "This conversation is closed; its messages can no longer be edited."}
	}
	r, err := e.ref(c, seq, actionID)
	if err != nil {
		return err
	}
	if a := e.pendingChange(shared.TypeMessageEdit, c.c.ID, r.Seq, r.TargetAction, func(changeTarget) bool { return true }); a != nil {
		return e.rewrite(a, map[string]any{"body": body})
	}
	_, err = e.enqueue(shared.TypeMessageEdit, shared.MessageEdit{MessageRef: r, Body: body})
	return err
}

// Delete erases a message (the user's own, or anyone's as the owner). One
// still queued and never sent just leaves the outbox, with the changes
// queued for it.
func (e *Engine) Delete(convID string, seq int64, actionID string) error {
	e.mu.Lock()
	defer e.unlock()
	c, err := e.target(convID)
	if err != nil {
		return err
	}
	if a := e.unsent(seq, actionID); a != nil {
		e.removeAction(a)
		e.dropChanges(c.c.ID, 0, a.ID)
		for _, b := range e.outbox {
			if b.Type == shared.TypeMessageSend && b.target().ReplyToAction == a.ID && !b.inflight {
				_ = e.rewrite(b, nil, "reply_to_action") // what it answered never existed
			}
		}
		return nil
	}
	r, err := e.ref(c, seq, actionID)
	if err != nil {
		return err
	}
	e.dropChanges(c.c.ID, r.Seq, r.TargetAction)
	_, err = e.enqueue(shared.TypeMessageDelete, shared.MessageDelete{MessageRef: r})
	return err
}

// dropChanges removes the edits and reactions queued for a message that
// is being deleted and have not left: they could only fail.
func (e *Engine) dropChanges(convID string, seq int64, actionID string) {
	for _, a := range slices.Clone(e.outbox) {
		if a.isChange() && a.Conv == convID && a.fresh && !a.inflight && a.target().names(seq, actionID) {
			e.removeAction(a)
		}
	}
}

// React adds (on) or removes the user's reaction emoji. Flipping a
// reaction that has not left yet changes that action instead of queueing
// another.
func (e *Engine) React(convID string, seq int64, actionID, emoji string, on bool) error {
	e.mu.Lock()
	defer e.unlock()
	if !shared.ValidEmoji(emoji) {
		return &shared.FieldError{Field: "emoji", Code: shared.CodeInvalid, Message: "Choose a reaction from the picker."}
	}
	c, err := e.target(convID)
	if err != nil {
		return err
	}
	r, err := e.ref(c, seq, actionID)
	if err != nil {
		return err
	}
	if a := e.pendingChange(shared.TypeReactionSet, c.c.ID, r.Seq, r.TargetAction,
		func(t changeTarget) bool { return t.Emoji == emoji }); a != nil {
		return e.rewrite(a, map[string]any{"on": on})
	}
	_, err = e.enqueue(shared.TypeReactionSet, shared.ReactionSet{MessageRef: r, Emoji: emoji, On: on})
	return err
}

// Reply sends body as an answer to a message: seq for a confirmed one,
// actionID (its send's) for one still queued, which the reply then waits
// behind.
func (e *Engine) Reply(convID, body string, seq int64, actionID string) (string, error) {
	e.mu.Lock()
	defer e.unlock()
	body = shared.NormalizeBody(body)
	if fe := shared.ValidateBody(body, e.bodyMax); fe != nil {
		return "", fe
	}
	c, err := e.target(convID)
	if err != nil {
		return "", err
	}
	if c.c.ClosedAt != nil {
		return "", &shared.Error{Code: shared.CodeClosed, Message: "This conversation is closed; no new messages can be sent."}
	}
	r, err := e.ref(c, seq, actionID)
	if err != nil {
		return "", err
	}
	a, err := e.enqueue(shared.TypeMessageSend, shared.MessageSend{ConversationID: c.c.ID, Body: body,
		ReplyTo: r.Seq, ReplyToAction: r.TargetAction})
	if err != nil {
		return "", err
	}
	e.setDraft(convID, "")
	e.setDraft(c.c.ID, "")
	return a.ID, nil
}

// EditHistory asks the server for the earlier versions of a message.
func (e *Engine) EditHistory(ctx context.Context, convID string, seq int64) ([]shared.Version, error) {
	e.mu.Lock()
	convID = e.resolve(convID)
	e.mu.Unlock()
	env, err := e.request(ctx, shared.TypeEditsQuery, shared.EditsQuery{ConversationID: convID, Seq: seq})
	if err != nil {
		return nil, err
	}
	var ack shared.Ack
	if err := decode(env, &ack); err != nil || ack.Edits == nil {
		return nil, err
	}
	return ack.Edits.Versions, nil
}

// resolveTarget prepares an action naming a queued send before it goes
// out: once the send is acknowledged its seq replaces the action id (the
// server would resolve either; the seq also names it for other members'
// devices). It returns false while the send is still waiting for its ack,
// so the action stays behind it. Callers hold e.mu.
func (e *Engine) resolveTarget(a *action) bool {
	if !a.isChange() && a.Type != shared.TypeMessageSend {
		return true
	}
	t := a.target()
	id, seqKey, idKey := t.TargetAction, "seq", "target_action"
	if a.Type == shared.TypeMessageSend {
		id, seqKey, idKey = t.ReplyToAction, "reply_to", "reply_to_action"
	}
	if id == "" {
		return true
	}
	if c := e.convs[a.Conv]; c != nil {
		if seq, ok := c.actions[id]; ok {
			if err := e.rewrite(a, map[string]any{seqKey: seq}, idKey); err != nil {
				e.log.Warn("client: resolve target", "err", err)
			}
			return true
		}
	}
	b := e.findAction(id)
	return b == nil || b.Failed != "" // gone or failed: the server answers for it
}
