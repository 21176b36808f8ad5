package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// wsConn adapts a coder/websocket connection to the hub's writer seam.
type wsConn struct{ c *websocket.Conn }

func (w wsConn) Write(ctx context.Context, frame []byte) error {
	return w.c.Write(ctx, websocket.MessageText, frame)
}

// Close drops the connection without the closing handshake: the hub closes
// slow or revoked clients, and waiting on them is exactly what it must not do.
func (w wsConn) Close(reason string) { _ = w.c.CloseNow() }

// conn is one authenticated WebSocket connection: its reader runs the
// client's actions one after another, in the order they were sent, so the
// effects of one device's queue land in its order.
type conn struct {
	s       *Server
	ws      *websocket.Conn
	client  *hub.Client
	sess    store.SessionRecord
	user    shared.User
	device  string
	bucket  tokenBucket
	garbage int // malformed frames in a row
	viewing string
	kicked  bool // a fatal error is draining: do not cut it off
}

// maxGarbage is how many malformed frames in a row a connection may send
// before it is taken for hostile and closed.
const maxGarbage = 20

func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	sess, authErr := s.session(r)
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered (403 for a foreign Origin)
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	if authErr != nil {
		// The browser cannot see HTTP statuses or close codes on a
		// WebSocket, so the reason travels as an event before the close.
		e := &shared.Error{Code: shared.CodeUnauthorized, Message: "You are not signed in, or your session has ended. Sign in again.", Fatal: true}
		if !errors.Is(authErr, errNoSession) {
			e = &shared.Error{Code: shared.CodeUnavailable, Message: "The server cannot check your session right now.", Fatal: true}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		_ = ws.Write(ctx, websocket.MessageText, errorEnvelope("", e))
		cancel()
		ws.Close(websocket.StatusPolicyViolation, e.Code)
		return
	}
	s.conns.Add(1)
	defer s.conns.Done()
	c := &conn{
		s:      s,
		ws:     ws,
		sess:   sess,
		user:   sess.User.User,
		bucket: newTokenBucket(s.cfg.ActionRate, s.cfg.ActionBurst),
	}
	c.client = s.hub.Attach(sess.UserID, sess.ID, wsConn{ws})
	s.metrics.conns.Add(1)
	defer func() {
		s.metrics.conns.Add(-1)
		if !c.kicked {
			s.hub.Detach(c.client)
		}
		<-c.client.Done() // the hub owns the socket: it writes what is due and closes it
	}()
	c.run()
}

// run reads the client's frames until the connection ends. It needs no
// goroutine of its own besides the one net/http gave it: the hub closes the
// socket when it drops the client, which ends the read, and the heartbeat is
// sent to all connections from one ticker (see heartbeat).
func (c *conn) run() {
	ctx, cancel := context.WithCancel(c.s.ctx)
	defer cancel()
	idle := 3 * c.s.cfg.Heartbeat
	helloDone := false
	for {
		rctx, rcancel := context.WithTimeout(ctx, idle)
		typ, data, err := c.ws.Read(rctx)
		rcancel()
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.s.log.Info("ws: frame too large", "user", c.user.ID)
			}
			return
		}
		if typ != websocket.MessageText {
			if !c.malformed("", "Frames must be JSON text.") {
				return
			}
			continue
		}
		var env shared.Envelope
		if err := json.Unmarshal(data, &env); err != nil || env.Type == "" {
			if !c.malformed("", "The frame is not a JSON envelope with a type.") {
				return
			}
			continue
		}
		c.garbage = 0
		if !helloDone {
			if env.Type != shared.TypeHello {
				c.fatal("", &shared.Error{Code: shared.CodeMalformed, Message: "The first message must be hello."})
				return
			}
			if !c.hello(ctx, env) {
				return
			}
			helloDone = true
			continue
		}
		c.handle(ctx, env)
	}
}

// malformed answers a frame that cannot be understood and reports whether the
// connection may stay up.
func (c *conn) malformed(id, msg string) bool {
	c.garbage++
	if c.garbage > maxGarbage {
		c.fatal(id, &shared.Error{Code: shared.CodeMalformed, Message: "Too many malformed frames; closing the connection."})
		return false
	}
	c.reply(id, &shared.Error{Code: shared.CodeMalformed, Message: msg})
	return true
}

// fatal sends a terminal error, lets the writer flush it, and ends the
// connection.
func (c *conn) fatal(id string, e *shared.Error) {
	e.Fatal = true
	c.kicked = true
	c.s.hub.Kick(c.client, errorEnvelope(id, e))
}

// reply sends an ack (data) or an error (when data is a *shared.Error).
func (c *conn) reply(id string, data any) {
	if e, ok := data.(*shared.Error); ok {
		c.client.Send(errorEnvelope(id, e))
		return
	}
	c.client.Send(mustEnvelope(shared.TypeAck, id, 0, data))
}

func errorEnvelope(id string, e *shared.Error) []byte {
	return mustEnvelope(shared.TypeError, id, 0, e)
}

func mustEnvelope(typ, id string, seq int64, data any) []byte {
	env, err := shared.NewEnvelope(typ, id, seq, data)
	if err != nil {
		panic("web: encode " + typ + ": " + err.Error())
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic("web: encode " + typ + ": " + err.Error())
	}
	return b
}

// tokenBucket limits actions per connection.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// take spends one token; when none is left it says how long until one is.
func (b *tokenBucket) take() (bool, time.Duration) {
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
