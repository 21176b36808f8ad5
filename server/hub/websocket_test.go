package hub_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"natter/server/hub"
)

// wsConn adapts a coder/websocket connection to hub.Conn, as the web layer
// does.
type wsConn struct{ ws *websocket.Conn }

func (w wsConn) Write(ctx context.Context, frame []byte) error {
	return w.ws.Write(ctx, websocket.MessageText, frame)
}

func (w wsConn) Close(reason string) { w.ws.Close(websocket.StatusPolicyViolation, reason) }

// Over a real socket: batched frames arrive in order and within the frame
// limit, and a revoked session gets its error event before the close.
func TestRealWebSocket(t *testing.T) {
	const maxFrame = 512
	h := MustHub(t, hub.Options{MaxFrameBytes: maxFrame})
	attached := make(chan *hub.Client, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		c := h.Attach(7, 70, wsConn{ws})
		go func() { // the web layer's reader: here it only notices the end
			for {
				if _, _, err := ws.Read(context.Background()); err != nil {
					h.Detach(c)
					return
				}
			}
		}()
		attached <- c
		<-c.Done()
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	c := <-attached

	var want [][]byte
	var evs []hub.Event
	for seq := int64(1); seq <= 100; seq++ {
		env := envelope(seq, 60+int(seq%5)*40)
		want = append(want, env)
		evs = append(evs, hub.Event{UserIDs: []int64{7}, Payload: env})
	}
	h.PublishBatch(evs)

	var got [][]byte
	for len(got) < len(want) {
		typ, frame, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("read after %d envelopes: %v", len(got), err)
		}
		parts := bytes.Split(frame, []byte{'\n'})
		if typ != websocket.MessageText || (len(parts) > 1 && len(frame) > maxFrame) {
			t.Fatalf("bad frame: type %v, %d bytes, %d envelopes", typ, len(frame), len(parts))
		}
		got = append(got, parts...)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("envelope %d out of order: %.60s", i, got[i])
		}
	}

	revoked := []byte(`{"v":1,"type":"error","data":{"code":"session_revoked","message":"This session was signed out.","fatal":true}}`)
	h.DisconnectSession(70, revoked)
	_, frame, err := ws.Read(ctx)
	if err != nil || !bytes.Equal(frame, revoked) {
		t.Fatalf("after revoke: frame %s, err %v", frame, err)
	}
	_, _, err = ws.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("want a policy close, got %v", err)
	}
	MustDone(t, c)
}
