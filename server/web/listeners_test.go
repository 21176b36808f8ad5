package web_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestMetricsNotPublic: /metrics answers 404 on the public handler and is
// served by MetricsHandler, which `natter serve` puts on its own listener.
func TestMetricsNotPublic(t *testing.T) {
	srv := webtest.MustServer(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		res, _ := send(t, srv, method, shared.PathMetrics, nil, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("public %s /metrics: %d", method, res.StatusCode)
		}
	}
	rec := httptest.NewRecorder()
	srv.Web.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, shared.PathMetrics, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "natter_") {
		t.Fatalf("metrics handler: %d %q", rec.Code, rec.Body.String())
	}
}

func TestNewHTTPServerTimeouts(t *testing.T) {
	s := web.NewHTTPServer(http.NotFoundHandler())
	if s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 || s.ReadHeaderTimeout == 0 {
		t.Fatalf("timeouts missing: %+v", s)
	}
}

// TestWebSocketOutlivesTimeouts serves the app with read and write
// timeouts far shorter than a WebSocket lives: the socket keeps receiving
// heartbeats and answering actions well past both, while a plain request
// that dawdles on its body is cut off.
func TestWebSocketOutlivesTimeouts(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) {
		c.Heartbeat = 100 * time.Millisecond
		// The loop below pings as fast as it can: out of the signal budget.
		c.Chat.Limits.SignalRate, c.Chat.Limits.SignalBurst = 1e6, 1e6
	})
	_, h := srv.MustSignUp(t, "Longlived")
	hs := web.NewHTTPServer(srv.Web)
	hs.ReadTimeout, hs.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	short := *srv
	short.URL = "http://" + ln.Addr().String()
	short.WSURL = "ws://" + ln.Addr().String() + shared.PathWebSocket

	// Round trips for three times the timeouts: each would fail at once
	// if a deadline had closed the connection.
	ws := short.MustConnect(t, h, nil)
	for start := time.Now(); time.Since(start) < 3*hs.WriteTimeout; {
		ws.MustPing(t)
	}

	// The read timeout still applies to ordinary requests.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST "+shared.APISignIn+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	_ = conn.SetReadDeadline(time.Now().Add(webtest.Timeout))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("a stalled request body was not cut off by ReadTimeout: %v", err)
	}
}
