package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// baselineFlag makes natterbench the baseline hub instead of the load
// generator: `natterbench -baseline-serve 127.0.0.1:port`. It is not listed
// among the flags because only natterbench itself starts it.
const baselineFlag = "-baseline-serve"

// baseHub is the simplest correct broadcast server, the yardstick for
// Natter's fan-out: no database, no authentication, no batching. Each
// message.send gets the next seq, is encoded once and queued to every
// client under one lock (so every client sees one order), then acked. Each
// client has one goroutine writing its queue, one frame per message. A full
// queue blocks the broadcast, which slows the senders rather than losing or
// reordering anything.
type baseHub struct {
	mu      sync.Mutex
	seq     int64
	clients map[*baseClient]struct{}
}

type baseClient struct {
	ws  *websocket.Conn
	out chan []byte
}

// serveBaseline runs the baseline hub on addr (loopback only) until SIGTERM.
func serveBaseline(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("natterbench: baseline: %q is not a loopback address", addr)
	}
	h := &baseHub{clients: map[*baseClient]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /ws", h.serveWS)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (h *baseHub) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	c := &baseClient{ws: ws, out: make(chan []byte, 1024)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	go h.write(c)
	defer h.remove(c)
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		var env shared.Envelope
		if json.Unmarshal(data, &env) != nil || env.Type != shared.TypeMessageSend {
			continue
		}
		var req shared.MessageSend
		if json.Unmarshal(env.Data, &req) != nil {
			continue
		}
		h.broadcast(c, env.ID, req)
	}
}

// write sends the client's queue, one frame per message.
func (h *baseHub) write(c *baseClient) {
	for frame := range c.out {
		if err := c.ws.Write(context.Background(), websocket.MessageText, frame); err != nil {
			h.remove(c)
			return
		}
	}
}

// remove takes c out of the broadcast set. Its queue is never closed (a
// broadcast may hold a reference); a goroutine empties it so that a
// broadcast already under way cannot block on it.
func (h *baseHub) remove(c *baseClient) {
	go func() {
		for range c.out {
		}
	}()
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.ws.CloseNow()
}

func (h *baseHub) broadcast(from *baseClient, id string, req shared.MessageSend) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	msg := shared.Message{ID: h.seq, ConversationID: req.ConversationID, Seq: h.seq, Kind: "text",
		Body: req.Body, ActionID: id, CreatedAt: time.Now().UTC()}
	created, _ := shared.NewEnvelope(shared.TypeMessageCreated, "", h.seq, msg)
	frame, _ := json.Marshal(created)
	for c := range h.clients {
		c.out <- frame
	}
	ack, _ := shared.NewEnvelope(shared.TypeAck, id, 0, shared.Ack{Message: &msg})
	b, _ := json.Marshal(ack)
	from.out <- b
}
