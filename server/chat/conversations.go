package chat

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"natter/server/hub"
	"natter/shared"
)

// Quota errors say which quota ran out and when it allows the next one, so
// the outbox waits instead of hammering.
func quotaError(what string, wait time.Duration) *shared.Error {
	return &shared.Error{Code: shared.CodeQuotaExceeded, RetryAfter: retryAfter(wait),
		Message: fmt.Sprintf("You have %s too often in the last hour; try again in %s.", what, humanQuotaWait(wait))}
}

func humanQuotaWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds())+1)
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes())+1)
}

// chargeQuota spends n of a per-hour quota of the actor, all or nothing.
// Actors outside a connection (tools, tests) have none.
func chargeQuota(a Actor, pick func(*userBudget) *rate.Limiter, n int, what string) error {
	if a.budget == nil || n == 0 {
		return nil
	}
	if ok, wait := take(time.Now(), n, pick(a.budget)); !ok {
		return quotaError(what, wait)
	}
	return nil
}

func createConversation(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationCreate
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	if len(req.MemberIDs) >= shared.MaxMembers {
		return nil, nil, &shared.Error{Code: shared.CodeTooManyMembers,
			Message: fmt.Sprintf("A conversation can have at most %d members.", shared.MaxMembers)}
	}
	if err := chargeQuota(a, func(b *userBudget) *rate.Limiter { return b.creates }, 1, "started conversations"); err != nil {
		return nil, nil, err
	}
	if err := chargeQuota(a, func(b *userBudget) *rate.Limiter { return b.adds }, len(req.MemberIDs), "added people"); err != nil {
		return nil, nil, err
	}
	created, err := s.store.CreateConversationReport(ctx, a.UserID, env.ID, req)
	if err != nil {
		return nil, nil, err
	}
	conv := created.Conversation
	s.pushAdded(conv, a, memberIDs(conv), true) // push.go
	// LeftOut names the people who blocked the creator and were left out:
	// the creator learns it, they learn nothing.
	return &shared.Ack{Conversation: &conv, LeftOut: created.LeftOut}, s.conversationEvents(conv, nil, 0, 0), nil
}

func renameConversation(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationRename
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.RenameConversation(ctx, a.UserID, env.ID, req.ConversationID, req.Title)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{}, 0, 0), nil
}

func closeConversation(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationRef
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.CloseConversation(ctx, a.UserID, env.ID, req.ConversationID)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{}, 0, 0), nil
}

func leaveConversation(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationRef
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.LeaveConversation(ctx, a.UserID, env.ID, req.ConversationID)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{}, 0, a.UserID), nil
}

func addMember(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MemberChange
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	if err := chargeQuota(a, func(b *userBudget) *rate.Limiter { return b.adds }, 1, "added people"); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.AddMember(ctx, a.UserID, env.ID, req.ConversationID, req.UserID)
	if err != nil {
		return nil, nil, err
	}
	s.pushAdded(conv, a, []int64{req.UserID}, false) // push.go
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{req.UserID}, req.UserID, 0), nil
}

func removeMember(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MemberChange
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.RemoveMember(ctx, a.UserID, env.ID, req.ConversationID, req.UserID)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{}, 0, req.UserID), nil
}

func transferOwner(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MemberChange
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	conv, err := s.store.TransferOwner(ctx, a.UserID, env.ID, req.ConversationID, req.UserID)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Conversation: &conv}, s.conversationEvents(conv, []int64{a.UserID, req.UserID}, 0, 0), nil
}

// conversationEvents tells every member what changed. changed lists the
// members whose entry changed; nil means the conversation is new to all of
// them, so they get it whole. Otherwise members get a delta (the
// conversation's fields with only the changed members, and who is gone),
// which costs the size of the change rather than of the conversation. added,
// when not 0, just joined and gets it whole: they hold nothing to merge
// into. removed, when not 0 and no longer a member, is told they lost
// access, and their presence in it ends.
func (s *Service) conversationEvents(conv shared.Conversation, changed []int64, added, removed int64) []hub.Event {
	ids := memberIDs(conv)
	if changed == nil {
		return []hub.Event{{UserIDs: ids, Payload: encode(shared.TypeConversationUpdated, "", 0, conv)}}
	}
	delta := conv
	delta.Delta = true
	delta.Members = []shared.Member{}
	for _, id := range changed {
		if m := conv.Member(id); m != nil {
			delta.Members = append(delta.Members, *m)
		}
	}
	gone := removed != 0 && conv.Member(removed) == nil
	if gone {
		delta.Removed = []int64{removed}
	}
	var evs []hub.Event
	rest := ids
	if added != 0 && conv.Member(added) != nil {
		rest = without(ids, added)
		evs = append(evs, hub.Event{UserIDs: []int64{added}, Payload: encode(shared.TypeConversationUpdated, "", 0, conv)})
	}
	evs = append(evs, hub.Event{UserIDs: rest, Payload: encode(shared.TypeConversationUpdated, "", 0, delta)})
	if gone {
		evs = append(evs, hub.Event{UserIDs: []int64{removed},
			Payload: encode(shared.TypeConversationRemoved, "", 0, shared.ConversationRemoved{ConversationID: conv.ID, Reason: "removed"})})
		s.hub.ForgetViewer(conv.ID, removed, ids)
	}
	return evs
}

func without(ids []int64, drop int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != drop {
			out = append(out, id)
		}
	}
	return out
}

func memberIDs(conv shared.Conversation) []int64 {
	ids := make([]int64, len(conv.Members))
	for i, m := range conv.Members {
		ids[i] = m.UserID
	}
	return ids
}
