package client

import (
	"strings"

	"natter/shared"
)

// errNoConv is returned for an action on a conversation this device does not
// hold (never synced, left, or removed).
var errNoConv = &shared.Error{Code: shared.CodeNotFound, Message: "This conversation is not available on this device."}

// target resolves convID through redirects and returns the held
// conversation, or an error the UI can show. Callers hold e.mu.
func (e *Engine) target(convID string) (*conv, error) {
	c := e.convs[e.resolve(convID)]
	if c == nil {
		return nil, errNoConv
	}
	return c, nil
}

// Send validates body, stores it in the outbox and returns its action id;
// the connection loop sends it. The message shows at once as queued (see
// Messages). The conversation's draft is cleared, as the text now lives in
// the outbox. Validation failures are *shared.FieldError for field "body".
func (e *Engine) Send(convID, body string) (actionID string, err error) {
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
	a, err := e.enqueue(shared.TypeMessageSend, shared.MessageSend{ConversationID: c.c.ID, Body: body})
	if err != nil {
		return "", err
	}
	e.setDraft(convID, "")
	e.setDraft(c.c.ID, "")
	return a.ID, nil
}

// CreateConversation queues a new conversation with a client-made UUIDv7 id
// and shows it at once as Pending; messages sent to that id queue behind it.
// When the server answers with an existing one-to-one instead, everything
// queued or drafted for the new id moves there and Redirect(newID) names it.
// members are the others; the signed-in user is added as the owner. The
// "new" draft is cleared.
func (e *Engine) CreateConversation(title string, members []shared.User) (convID string, err error) {
	e.mu.Lock()
	defer e.unlock()
	title = strings.TrimSpace(title)
	if fe := shared.ValidateTitle(title); fe != nil {
		return "", fe
	}
	var others []shared.User
	seen := map[int64]bool{e.me.ID: true}
	for _, u := range members {
		if !seen[u.ID] {
			seen[u.ID] = true
			others = append(others, u)
		}
	}
	if len(others) == 0 {
		return "", &shared.FieldError{Field: "members", Code: shared.CodeInvalid, Message: "Add at least one person to talk to."}
	}
	if len(others)+1 > shared.MaxMembers {
		return "", &shared.FieldError{Field: "members", Code: shared.CodeTooManyMembers, Message: "A conversation can have at most 1000 members."}
	}
	req := shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title}
	now := e.cfg.Now()
	pc := shared.Conversation{ID: req.ID, Title: title, Named: title != "", Direct: len(others) == 1 && title == "",
		CreatedBy: e.me.ID, CreatedAt: now,
		Members: []shared.Member{{UserID: e.me.ID, Nickname: e.me.Nickname, Owner: true}}}
	names := make([]string, 0, len(others))
	for _, u := range others {
		req.MemberIDs = append(req.MemberIDs, u.ID)
		pc.Members = append(pc.Members, shared.Member{UserID: u.ID, Nickname: u.Nickname})
		names = append(names, u.Nickname)
	}
	if pc.Title == "" {
		pc.Title = strings.Join(names, ", ")
	}
	if _, err := e.enqueue(shared.TypeConversationCreate, req); err != nil {
		return "", err
	}
	c := newConv(pc)
	c.pending = true
	e.convs[pc.ID] = c
	e.dirty.conv(pc.ID)
	e.scheduleFlush()
	e.setDraft(DraftNew, "")
	return pc.ID, nil
}

// simple queues an action on a held conversation.
func (e *Engine) simple(convID, typ string, data func(id string) any) error {
	e.mu.Lock()
	defer e.unlock()
	c, err := e.target(convID)
	if err != nil {
		return err
	}
	_, err = e.enqueue(typ, data(c.c.ID))
	return err
}

// Rename queues a new title; "" restores the title made of the members' names.
func (e *Engine) Rename(convID, title string) error {
	title = strings.TrimSpace(title)
	if fe := shared.ValidateTitle(title); fe != nil {
		return fe
	}
	return e.simple(convID, shared.TypeConversationRename, func(id string) any {
		return shared.ConversationRename{ConversationID: id, Title: title}
	})
}

// AddMember queues adding u to the conversation.
func (e *Engine) AddMember(convID string, u shared.User) error {
	return e.simple(convID, shared.TypeMemberAdd, func(id string) any {
		return shared.MemberChange{ConversationID: id, UserID: u.ID}
	})
}

// RemoveMember queues removing a member (owners only; the server decides).
func (e *Engine) RemoveMember(convID string, userID int64) error {
	return e.simple(convID, shared.TypeMemberRemove, func(id string) any {
		return shared.MemberChange{ConversationID: id, UserID: userID}
	})
}

// TransferOwner queues handing ownership to another member.
func (e *Engine) TransferOwner(convID string, userID int64) error {
	return e.simple(convID, shared.TypeOwnerTransfer, func(id string) any {
		return shared.MemberChange{ConversationID: id, UserID: userID}
	})
}

// Close queues closing the conversation to new messages.
func (e *Engine) Close(convID string) error {
	return e.simple(convID, shared.TypeConversationClose, func(id string) any {
		return shared.ConversationRef{ConversationID: id}
	})
}

// Leave queues leaving the conversation; it disappears once acknowledged.
func (e *Engine) Leave(convID string) error {
	return e.simple(convID, shared.TypeConversationLeave, func(id string) any {
		return shared.ConversationRef{ConversationID: id}
	})
}

// MarkSeen queues moving the read cursor up to seq. Marks coalesce: only
// the highest one per conversation that is not yet on the wire is kept, and
// a mark at or below the cursor is not queued at all. A storage failure
// shows in State.StorageError; losing a read mark loses nothing typed.
func (e *Engine) MarkSeen(convID string, seq int64) {
	e.mu.Lock()
	defer e.unlock()
	c := e.convs[e.resolve(convID)]
	if c == nil || c.pending {
		return
	}
	seq = min(seq, c.c.LastSeq)
	if seq <= 0 || seq <= e.seen(c) {
		return
	}
	var stale *action
	for _, a := range e.outbox {
		if a.Type == shared.TypeSeenMark && a.Conv == c.c.ID && !a.inflight && a.tries == 0 && a.fresh {
			stale = a
		}
	}
	a, err := e.enqueue(shared.TypeSeenMark, shared.SeenMark{ConversationID: c.c.ID, Seq: seq})
	if err != nil {
		return
	}
	a.fresh = true
	if stale != nil {
		e.removeAction(stale)
	}
}
