package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"natter/server/chat"
	"natter/shared"
)

// handleWebSocket upgrades an authenticated request and feeds its frames to
// a chat.Conn. Everything about the protocol is the chat service's; this is
// framing only: text or not, valid UTF-8 or not, too large or not.
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	sess, authErr := s.session(r)
	hj := &smallHijack{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered (403 for a foreign Origin)
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	conn := &wsConn{ws: ws, sock: hj.sock}
	write := conn.Write
	if authErr != nil {
		// The browser cannot see HTTP statuses or close codes on a
		// WebSocket, so the reason travels as an event before the close.
		e := &shared.Error{Code: shared.CodeUnauthorized, Message: "You are not signed in, or your session has ended. Sign in again."}
		if errors.Is(authErr, errDisabled) {
			e = &shared.Error{Code: shared.CodeAccountDisabled, Message: "This account has been disabled."}
		} else if !errors.Is(authErr, errNoSession) {
			e = &shared.Error{Code: shared.CodeUnavailable, Message: "The server cannot check your session right now."}
		}
		chat.Refuse(r.Context(), write, e)
		ws.Close(websocket.StatusPolicyViolation, e.Code)
		return
	}
	c, err := s.chat.Open(r.Context(), sess, conn)
	if err != nil {
		var se *shared.Error
		if errors.As(err, &se) {
			chat.Refuse(r.Context(), write, se)
		}
		ws.Close(websocket.StatusTryAgainLater, "refused")
		return
	}
	s.conns.Add(1)
	// The handler returns now and a goroutine of our own reads: net/http
	// then lets go of the request and its buffers, which an idle
	// connection would otherwise hold for as long as it lives.
	go func() {
		defer s.conns.Done()
		defer c.Close()
		s.read(ws, conn, c)
	}()
}

// read takes the client's frames until the connection ends: the hub closes
// the socket when it drops the client, which ends the read, and the
// heartbeat reaches all connections from one ticker. A client silent for
// three heartbeats is taken for gone (a half-open connection): one timer per
// connection, reset on every frame, closes it; reads carry no deadline of
// their own, so a read costs no context and no timer.
func (s *Server) read(ws *websocket.Conn, conn *wsConn, c *chat.Conn) {
	ctx := s.ctx
	idle := 3 * s.cfg.Heartbeat
	silent := time.AfterFunc(idle, func() { _ = ws.CloseNow() })
	defer silent.Stop()
	for {
		typ, data, err := ws.Read(context.Background())
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				s.log.Info("ws: frame too large", "session", c.SessionID())
			}
			return
		}
		silent.Reset(idle)
		if typ != websocket.MessageText {
			if !c.Malformed("", "Frames must be JSON text.") {
				return
			}
			continue
		}
		switch err := shared.CheckFrameText(data); {
		case errors.Is(err, shared.ErrInvalidUTF8):
			// RFC 6455: a text frame that is not UTF-8 fails the
			// connection with 1007. Nothing of it is applied; the reason
			// goes first, since the browser cannot see close codes.
			s.log.Info("ws: invalid UTF-8", "session", c.SessionID())
			// The hub may be writing meanwhile: the socket's lock keeps the
			// frames whole; the close that follows ends the hub's client.
			chat.Refuse(ctx, conn.Write, &shared.Error{Code: shared.CodeInvalidText, Message: "A frame was not valid UTF-8 text; closing the connection."})
			ws.Close(websocket.StatusInvalidFramePayloadData, "invalid UTF-8")
			return
		case err != nil: // a lone surrogate escape: decoding would alter the text
			if !c.Invalid("The text contains an unpaired UTF-16 surrogate escape; nothing was applied.") {
				return
			}
			continue
		}
		if !receiveAside(ctx, c, data) {
			return
		}
	}
}

// receiveAside hands a frame to c.Receive on a goroutine of its own and
// waits for it, so frames are still taken one at a time, in order. Receive
// goes deep (JSON decoding; hello's replay through the store), and the
// stack of the reading goroutine, which lives as long as the connection
// and spends it parked in a read, would keep that depth: 8 KiB per idle
// connection instead of 4 (measured with 400 connections in one process).
// A goroutine per frame costs about a microsecond.
func receiveAside(ctx context.Context, c *chat.Conn, frame []byte) bool {
	ok := make(chan bool, 1)
	go func() { ok <- c.Receive(ctx, frame) }()
	return <-ok
}

// errorEnvelope encodes a server error event for id (empty for none).
func errorEnvelope(id string, e *shared.Error) []byte {
	return mustEnvelope(shared.TypeError, e, id)
}

func mustEnvelope(typ string, data any, id ...string) []byte {
	env, err := shared.NewEnvelope(typ, append(id, "")[0], 0, data)
	if err != nil {
		panic("web: encode " + typ + ": " + err.Error())
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic("web: encode " + typ + ": " + err.Error())
	}
	return b
}
