package webtest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// WS is a raw protocol client for tests: it speaks envelopes over a real
// WebSocket and splits batched frames.
type WS struct {
	Conn    *websocket.Conn
	queue   []shared.Envelope
	Welcome shared.Welcome
	// Replay holds the events between welcome and caught_up.
	Replay   []shared.Envelope
	CaughtUp shared.CaughtUp
}

// Timeout bounds every wait in these helpers: a test that waits longer has
// failed, and says what it was waiting for.
const Timeout = 15 * time.Second

// MustDial opens a WebSocket with the given headers (the session cookie).
func (s *Server) MustDial(tb testing.TB, header http.Header) *WS {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Origin") == "" {
		h.Set("Origin", s.URL)
	}
	c, _, err := websocket.Dial(ctx, s.WSURL, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		tb.Fatalf("webtest: dial: %v", err)
	}
	c.SetReadLimit(8 << 20)
	tb.Cleanup(func() { c.CloseNow() })
	return &WS{Conn: c}
}

// MustConnect dials and completes hello with the given cursors, collecting
// the replay up to caught_up.
func (s *Server) MustConnect(tb testing.TB, header http.Header, cursors map[string]int64) *WS {
	tb.Helper()
	w := s.MustDial(tb, header)
	w.MustHello(tb, shared.Hello{Protocol: shared.ProtocolVersion, Cursors: cursors})
	return w
}

// MustHello sends hello and reads welcome and the replay.
func (w *WS) MustHello(tb testing.TB, h shared.Hello) {
	tb.Helper()
	w.MustSend(tb, shared.TypeHello, "", h)
	env := w.MustNext(tb)
	if env.Type != shared.TypeWelcome {
		tb.Fatalf("webtest: expected welcome, got %s %s", env.Type, env.Data)
	}
	json.Unmarshal(env.Data, &w.Welcome)
	for {
		env := w.MustNext(tb)
		if env.Type == shared.TypeCaughtUp {
			json.Unmarshal(env.Data, &w.CaughtUp)
			return
		}
		w.Replay = append(w.Replay, env)
	}
}

// Send writes one envelope.
func (w *WS) Send(typ, id string, data any) error {
	b, err := shared.EncodeAction(typ, id, data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	return w.Conn.Write(ctx, websocket.MessageText, b)
}

// MustSend writes one envelope or fails the test.
func (w *WS) MustSend(tb testing.TB, typ, id string, data any) {
	tb.Helper()
	if err := w.Send(typ, id, data); err != nil {
		tb.Fatalf("webtest: send %s: %v", typ, err)
	}
}

// Next returns the next envelope, answering pings and skipping pongs that
// answer nobody's ping.
func (w *WS) Next(ctx context.Context) (shared.Envelope, error) {
	return w.Await(ctx, func(shared.Envelope) bool { return true })
}

// Await returns the first envelope, queued or new, that matches; the ones it
// passes over stay queued for later calls, so no event is lost to a test
// waiting for another.
func (w *WS) Await(ctx context.Context, match func(shared.Envelope) bool) (shared.Envelope, error) {
	for {
		for i, env := range w.queue {
			if match(env) {
				w.queue = append(w.queue[:i:i], w.queue[i+1:]...)
				return env, nil
			}
		}
		_, data, err := w.Conn.Read(ctx)
		if err != nil {
			return shared.Envelope{}, err
		}
		envs, err := shared.DecodeFrame(data)
		if err != nil {
			return shared.Envelope{}, err
		}
		for _, env := range envs {
			switch {
			case env.Type == shared.TypePing:
				_ = w.Send(shared.TypePong, env.ID, nil)
			case env.Type == shared.TypePong && env.ID == "":
			default:
				w.queue = append(w.queue, env)
			}
		}
	}
}

// MustNext returns the next envelope within Timeout.
func (w *WS) MustNext(tb testing.TB) shared.Envelope {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	env, err := w.Next(ctx)
	if err != nil {
		tb.Fatalf("webtest: read: %v", err)
	}
	return env
}

// MustAwait returns the first envelope that matches within Timeout.
func (w *WS) MustAwait(tb testing.TB, what string, match func(shared.Envelope) bool) shared.Envelope {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	env, err := w.Await(ctx, match)
	if err != nil {
		tb.Fatalf("webtest: waiting for %s: %v", what, err)
	}
	return env
}

// Drain forgets every queued envelope.
func (w *WS) Drain() { w.queue = nil }

// MustReply awaits the ack or error answering action id.
func (w *WS) MustReply(tb testing.TB, id string) shared.Envelope {
	tb.Helper()
	return w.MustAwait(tb, "reply to "+id, func(e shared.Envelope) bool {
		return e.ID == id && (e.Type == shared.TypeAck || e.Type == shared.TypeError)
	})
}

// MustAck sends an action and decodes its ack, failing on an error reply.
func (w *WS) MustAck(tb testing.TB, typ string, data any) shared.Ack {
	tb.Helper()
	id := shared.NewUUIDv7()
	w.MustSend(tb, typ, id, data)
	env := w.MustReply(tb, id)
	if env.Type != shared.TypeAck {
		tb.Fatalf("webtest: %s: expected ack, got %s", typ, env.Data)
	}
	var ack shared.Ack
	if err := json.Unmarshal(env.Data, &ack); err != nil {
		tb.Fatalf("webtest: decode ack: %v", err)
	}
	return ack
}

// MustError sends an action and decodes the error it must get.
func (w *WS) MustError(tb testing.TB, typ, id string, data any) shared.Error {
	tb.Helper()
	w.MustSend(tb, typ, id, data)
	env := w.MustReply(tb, id)
	if env.Type != shared.TypeError {
		tb.Fatalf("webtest: %s: expected an error, got %s %s", typ, env.Type, env.Data)
	}
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	return e
}

// MustPing checks the connection is up: a ping with an id gets its pong.
func (w *WS) MustPing(tb testing.TB) {
	tb.Helper()
	id := shared.NewUUIDv7()
	w.MustSend(tb, shared.TypePing, id, nil)
	w.MustAwait(tb, "pong", func(e shared.Envelope) bool { return e.Type == shared.TypePong && e.ID == id })
}
