package chat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"natter/server/hub"
	"natter/shared"
)

// Actor is who an action is applied for: the user, and the session (device)
// it came from, which is left out of ephemeral echoes.
type Actor struct {
	UserID    int64
	Nickname  string
	SessionID int64
	budget    *userBudget // nil for actors outside a connection (tests, tools)
	conn      *Conn       // the connection it came on, for requests answered on it
}

// handler applies one decoded action for an actor. It returns the ack (nil
// for none) and the events to publish once it is acked.
type handler func(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error)

// handlers is the dispatch table: one entry per action type. Its budget
// class is classOf(type); durable types also need an action id.
var handlers = map[string]handler{
	shared.TypeMessageSend:        sendOrReply,
	shared.TypeConversationCreate: createConversation,
	shared.TypeConversationRename: renameConversation,
	shared.TypeConversationClose:  closeConversation,
	shared.TypeConversationLeave:  leaveConversation,
	shared.TypeMemberAdd:          addMember,
	shared.TypeMemberRemove:       removeMember,
	shared.TypeOwnerTransfer:      transferOwner,
	shared.TypeSeenMark:           markSeen,
	shared.TypeHistoryFetch:       fetchHistory,
	shared.TypeSeenQuery:          querySeen,
	shared.TypeConversationsFetch: fetchConversations,
	shared.TypeMessageEdit:        editMessage,
	shared.TypeMessageDelete:      deleteMessage,
	shared.TypeReactionSet:        setReaction,
	shared.TypeEditsQuery:         queryEdits,
	shared.TypeHistoryAround:      fetchAround,
	shared.TypeSearch:             searchMessages,
	shared.TypeConversationMute:   muteConversation, // mute.go
}

// Apply validates, authorizes and applies one action for a, returns the ack
// to send back (nil when the action has none), and publishes its events
// after the ack is decided. Every transport calls it; authorization happens
// inside the store's statements, so a forgotten check finds nothing rather
// than someone else's data.
func (s *Service) Apply(ctx context.Context, a Actor, env shared.Envelope) (*shared.Ack, error) {
	h := handlers[env.Type]
	if h == nil {
		return nil, &shared.Error{Code: shared.CodeUnknownType, Message: "Unknown message type " + quote(env.Type) + "."}
	}
	if shared.Durable(env.Type) && !shared.IsUUID(env.ID) {
		return nil, &shared.Error{Code: shared.CodeMalformed, Message: "A durable action needs an action id (a UUID)."}
	}
	s.metrics.actions.Add(1)
	ack, evs, err := h(ctx, s, a, env)
	if err != nil {
		return nil, err
	}
	s.publish(evs...)
	return ack, nil
}

// publicError is what a client may see of err: domain errors as they are,
// anything else behind a retryable code, logged.
func (s *Service) publicError(userID int64, actionID string, err error) *shared.Error {
	var se *shared.Error
	if errors.As(err, &se) {
		return se
	}
	var fe *shared.FieldError
	if errors.As(err, &fe) {
		return &shared.Error{Code: fe.Code, Message: fe.Message, Field: fe.Field}
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelDebug // the connection or the server is closing: the client retries
	}
	s.log.Log(context.Background(), level, "chat: action failed", "user", userID, "action", actionID, "err", err)
	return &shared.Error{Code: shared.CodeInternal, Message: "The server could not apply this right now; it will be retried."}
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

func errorEnvelope(id string, e *shared.Error) []byte {
	return encode(shared.TypeError, id, 0, e)
}

// send posts a message through the group commit and acks it; the fan-out
// follows from the committer, in commit order.
func send(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.MessageSend
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	msg, err := s.sends.send(ctx, a.UserID, env.ID, req.ConversationID, req.Body)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Message: &msg}, nil, nil
}

func markSeen(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.SeenMark
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	seen, moved, err := s.store.MarkSeen(ctx, a.UserID, env.ID, req.ConversationID, req.Seq)
	if err != nil {
		return nil, nil, err
	}
	ack := &shared.Ack{Seen: &seen}
	if !moved {
		return ack, nil, nil
	}
	var members []int64
	retry(ctx, s.log, "seen: members", func(ctx context.Context) (err error) {
		members, err = s.store.MemberIDs(ctx, req.ConversationID)
		return err
	})
	return ack, []hub.Event{{UserIDs: members,
		Payload: encode(shared.TypeSeenMoved, "", 0, shared.SeenMoved{ConversationID: req.ConversationID, Seen: seen})}}, nil
}

func fetchHistory(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.HistoryFetch
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	h, err := s.store.History(ctx, a.UserID, req.ConversationID, req.Before, req.Limit)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{History: &h}, nil, nil
}

func querySeen(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.SeenQuery
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	sb, err := s.store.SeenBy(ctx, a.UserID, req.ConversationID, req.Seq)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{SeenBy: &sb}, nil, nil
}
