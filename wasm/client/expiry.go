package client

import (
	"context"
	"fmt"
	"slices"

	"natter/shared"
)

// FailExpired is the FailCode of an action this client refused to replay
// because it was first stored longer ago than shared.ActionReplayWindow.
const FailExpired = "replay_window_passed"

// ExpiredMessage is what the UI shows for such an action.
const ExpiredMessage = "This change waited too long offline and was not applied; redo it if you still want it."

// replayForever reports the kinds the server recognises under their id for
// ever, so they may be replayed however old (see shared.ActionReplayWindow):
// a message.send by its message row, a conversation.create by the
// conversation id, and a seen.mark because running it twice moves nothing.
// Exempting sends matters most: a message typed offline weeks ago still
// goes out, exactly once.
func replayForever(typ string) bool {
	switch typ {
	case shared.TypeMessageSend, shared.TypeConversationCreate, shared.TypeSeenMark:
		return true
	}
	return false
}

// expireOld fails every queued action the server may no longer recognise,
// instead of replaying it: after the window its idempotency record may be
// pruned, and a replay could apply it a second time. Only the sender tab
// does it, so two tabs never race to rewrite the same entry; the others
// see the result through ReloadOutbox. Callers hold e.mu.
func (e *Engine) expireOld() {
	if !e.sender || e.wiped {
		return
	}
	now := e.cfg.Now()
	for _, a := range slices.Clone(e.outbox) {
		if c := e.convs[a.Conv]; c != nil && a.Type == shared.TypeMessageSend {
			if _, ok := c.actions[a.ID]; ok {
				// Acknowledged, and the page closed before its entry went
				// (settleAction): the message is held, so it goes now.
				e.settleAction(a)
				continue
			}
		}
		if a.Failed == "" && !a.inflight && !replayForever(a.Type) && now.Sub(a.QueuedAt) > shared.ActionReplayWindow {
			e.failAction(a, &shared.Error{Code: FailExpired, Message: ExpiredMessage})
		}
	}
}

// renew gives an expired action a new id and a new queued time, keeping its
// place in the queue: the user asked for it again, so it is a new action
// the server has never seen. The new entry is stored before the old one is
// deleted; a crash in between leaves the old one failed, never sent twice.
// Callers hold e.mu.
func (e *Engine) renew(a *action) error {
	old := a.key
	prev := *a
	a.ID = shared.NewUUIDv7()
	a.QueuedAt = e.cfg.Now()
	a.key = fmt.Sprintf("%020d-%s", keyOrder(old), a.ID)
	a.Failed, a.FailCode = "", ""
	if err := e.putAction(a); err != nil {
		*a = prev
		return err
	}
	if err := e.cfg.Storage.Delete(context.Background(), BucketOutbox, old); err != nil {
		e.setStorageErr(err)
	}
	return nil
}
