package web

import (
	"bufio"
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
	conn := newWSConn(ws, hj.sock)
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
	c, err := s.chat.Open(r.Context(), sess, hubConn(conn))
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
	rd := &reader{s: s, ws: ws, conn: conn, br: hj.br, c: c, idle: 3 * s.cfg.Heartbeat}
	rd.silent = time.AfterFunc(rd.idle, func() { _ = ws.CloseNow() })
	go rd.run()
}

// reader is what reading one connection needs, handed from goroutine to
// goroutine (see run).
type reader struct {
	s      *Server
	ws     *websocket.Conn
	conn   *wsConn
	br     *bufio.Reader // the socket's read buffer, under coder/websocket
	c      *chat.Conn
	idle   time.Duration
	silent *time.Timer
}

// run reads the client's frames until the connection ends, then lets the
// chat connection go. Handling a frame goes deep (JSON decoding; hello's
// replay through the store), and a goroutine keeps the stack it grew: the
// reader, which spends the connection's life parked in a read, would hold
// 8 KiB per idle connection instead of 4 (measured with 400 connections in
// one process). So once the frames already received are handled, a fresh
// goroutine takes over the reading and this one ends: a goroutine start
// (about a microsecond) per burst of frames, none within a burst.
func (r *reader) run() {
	if r.readSome() {
		go r.run()
		return
	}
	r.silent.Stop()
	r.c.Close()
	r.s.conns.Done()
}

// readSome takes frames until none is left buffered, reporting true, or the
// connection ends, reporting false: the hub closes the socket when it drops
// the client, which ends the read, and the heartbeat reaches all
// connections from one ticker. A client silent for three heartbeats is
// taken for gone (a half-open connection): one timer per connection, reset
// on every frame, closes it; reads carry no deadline of their own, so a
// read costs no context and no timer.
func (r *reader) readSome() bool {
	s, ws, c, ctx := r.s, r.ws, r.c, r.s.ctx
	for {
		typ, data, err := ws.Read(context.Background())
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				s.log.Info("ws: frame too large", "session", c.SessionID())
			}
			return false
		}
		r.silent.Reset(r.idle)
		switch {
		case typ != websocket.MessageText:
			if !c.Malformed("", "Frames must be JSON text.") {
				return false
			}
		case !r.take(ctx, data):
			return false
		}
		if r.br.Buffered() == 0 {
			return true
		}
	}
}

// take checks one text frame's encoding and hands it to the chat
// connection, reporting whether the connection stays up.
func (r *reader) take(ctx context.Context, data []byte) bool {
	s, ws, c := r.s, r.ws, r.c
	switch err := shared.CheckFrameText(data); {
	case errors.Is(err, shared.ErrInvalidUTF8):
		// RFC 6455: a text frame that is not UTF-8 fails the connection
		// with 1007. Nothing of it is applied; the reason goes first,
		// since the browser cannot see close codes.
		s.log.Info("ws: invalid UTF-8", "session", c.SessionID())
		// The hub may be writing meanwhile: the socket's lock keeps the
		// frames whole; the close that follows ends the hub's client.
		chat.Refuse(ctx, r.conn.Write, &shared.Error{Code: shared.CodeInvalidText, Message: "A frame was not valid UTF-8 text; closing the connection."})
		ws.Close(websocket.StatusInvalidFramePayloadData, "invalid UTF-8")
		return false
	case err != nil: // a lone surrogate escape: decoding would alter the text
		return c.Invalid("The text contains an unpaired UTF-16 surrogate escape; nothing was applied.")
	}
	return c.Receive(ctx, data)
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
