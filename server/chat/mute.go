package chat

import (
	"context"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// muteConversation applies conversation.mute: the person's own setting,
// durable and applied once per action id like every change, so a mute
// queued offline is replayed exactly once. It is an action of the action
// class (its budget), and only a member can mute (the store's statement
// names the member). The new state goes to the person's other devices as
// mute.changed; nobody else learns of it.
func muteConversation(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.ConversationMute
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	until, err := muteUntil(req, time.Now())
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.MuteConversation(ctx, a.UserID, env.ID, req.ConversationID, until)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Mute: &m}, []hub.Event{{UserIDs: []int64{a.UserID}, Payload: encode(shared.TypeMuteChanged, "", 0, m)}}, nil
}

// muteUntil checks a mute request: Forever, a time at most MaxMuteAhead
// ahead, or neither to unmute. A time already past is accepted: a mute
// queued offline for an hour and replayed later has simply run out.
func muteUntil(req shared.ConversationMute, now time.Time) (*time.Time, error) {
	switch {
	case req.Forever && req.Until != nil:
		return nil, &shared.Error{Code: shared.CodeInvalid, Field: "until", Message: "Mute either until a time or until turned back on, not both."}
	case req.Forever:
		f := shared.MuteForever
		return &f, nil
	case req.Until == nil:
		return nil, nil
	case req.Until.After(now.Add(shared.MaxMuteAhead)):
		return nil, &shared.Error{Code: shared.CodeInvalid, Field: "until", Message: "A timed mute can last at most a year; mute until turned back on instead."}
	}
	u := req.Until.UTC()
	return &u, nil
}
