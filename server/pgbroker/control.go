package pgbroker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"natter/server/hub"
	"natter/shared"
)

// Control kinds.
const (
	// KindDisconnectUser closes every connection of UserID on every node,
	// e.g. when the operator disables the account.
	KindDisconnectUser = "disconnect_user"
	// KindDisconnectSession closes every connection of SessionID on every
	// node, when the session is revoked.
	KindDisconnectSession = "disconnect_session"
	// KindPublish delivers Events to their recipients on every node, e.g.
	// the message.created envelopes of an announcement.
	KindPublish = "publish"
)

// Control is an operator command every running server must act on at once.
// The admin CLI sends them with Notify after changing the database; a
// server may send them too (a session revoked on one node must close its
// connections on all).
type Control struct {
	Kind      string `json:"kind"`
	UserID    int64  `json:"user_id,omitempty"`
	SessionID int64  `json:"session_id,omitempty"`
	// Reason is shown to the disconnected user; empty means a default that
	// fits the kind.
	Reason string `json:"reason,omitempty"`
	// Events are what a KindPublish control delivers. They travel as an
	// ordinary event batch, chunked and spilled as large as needed.
	Events []hub.Event `json:"-"`
}

func (c Control) check() error {
	switch c.Kind {
	case KindDisconnectUser:
		if c.UserID <= 0 {
			return fmt.Errorf("%s needs a user id", c.Kind)
		}
	case KindDisconnectSession:
		if c.SessionID <= 0 {
			return fmt.Errorf("%s needs a session id", c.Kind)
		}
	case KindPublish:
	default:
		return fmt.Errorf("unknown control kind %q", c.Kind)
	}
	return nil
}

// Notify sends controls to every node listening on db's database (this
// process's Broker included), in order, in one round trip, signed with the
// broker key (read from server_keys, or created there, first: one more
// round trip). Inside a
// transaction (db a bun.Tx) they are sent when it commits, and not at all if
// it rolls back. Nothing is sent when any control is invalid.
func Notify(ctx context.Context, db bun.IDB, cs ...Control) error {
	origin := newOrigin() // a sender of its own: no Broker skips it
	var m message
	for i, c := range cs {
		if err := c.check(); err != nil {
			return fmt.Errorf("pgbroker: notify: %w", err)
		}
		if c.Kind == KindPublish {
			if len(c.Events) == 0 {
				continue
			}
			part, err := encodeEvents(origin, uint64(i), c.Events)
			if err != nil {
				return fmt.Errorf("pgbroker: notify: %w", err)
			}
			m.payloads = append(m.payloads, part.payloads...)
			m.spills = append(m.spills, part.spills...)
			continue
		}
		p, err := encodeFrame(frame{Origin: origin, Batch: uint64(i), Control: &c})
		if err != nil {
			return fmt.Errorf("pgbroker: notify: %w", err)
		}
		m.payloads = append(m.payloads, p)
	}
	if len(m.payloads) == 0 {
		return nil
	}
	s, err := loadSigner(ctx, db)
	if err != nil {
		return fmt.Errorf("pgbroker: notify: %w", err)
	}
	if err := send(ctx, db, s, m); err != nil {
		return fmt.Errorf("pgbroker: notify: %w", err)
	}
	return nil
}

// Disconnecter is what controls act on: *hub.Hub.
type Disconnecter interface {
	DisconnectUser(userID int64, env []byte)
	DisconnectSession(sessionID int64, env []byte)
}

// Apply returns the OnControl function that carries out controls on h:
// disconnected clients first get a fatal error envelope saying why
// (shared.CodeAccountDisabled or shared.CodeSessionRevoked), so the UI can
// tell the user instead of reconnecting.
func Apply(h Disconnecter) func(Control) {
	return func(c Control) {
		switch c.Kind {
		case KindDisconnectUser:
			h.DisconnectUser(c.UserID, fatal(shared.CodeAccountDisabled, c.Reason, "This account has been disabled."))
		case KindDisconnectSession:
			h.DisconnectSession(c.SessionID, fatal(shared.CodeSessionRevoked, c.Reason, "Your session has ended. Please sign in again."))
		}
	}
}

// fatal encodes a fatal error envelope.
func fatal(code, reason, def string) []byte {
	if reason == "" {
		reason = def
	}
	env, err := shared.NewEnvelope(shared.TypeError, "", 0, &shared.Error{Code: code, Message: reason, Fatal: true})
	if err != nil {
		return nil
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil
	}
	return b
}
