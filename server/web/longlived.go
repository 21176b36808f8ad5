package web

import (
	"net/http"
	"time"
)

// HTTP server timeouts. ReadTimeout bounds a slow client sending its
// request (slowloris); WriteTimeout must outlast sending app.wasm (a few
// megabytes) to a slow phone; IdleTimeout closes kept-alive connections
// nobody uses. The WebSocket is exempt: see LongLived.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
)

// NewHTTPServer returns the http.Server for handler with Natter's timeouts.
// `natter serve` uses it; tests may shorten the timeouts on the result.
func NewHTTPServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
	}
}

// LongLived lifts the server's read and write deadlines from a request that
// lives as long as the client wants, such as the WebSocket: the server's
// ReadTimeout and WriteTimeout would otherwise end it. A WebSocket handler
// calls it before the upgrade; ServeHTTP already does for PathWebSocket.
// (net/http also clears the deadlines when a connection is hijacked, as
// coder/websocket does for HTTP/1.1; this keeps the route safe if that
// changes, and covers HTTP/2 extended CONNECT.)
func LongLived(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// MetricsHandler serves the Prometheus metrics. It is not on the public
// handler: serve it on its own listener (NATTER_METRICS_ADDR), reachable
// only by the operator's scraper.
func (s *Server) MetricsHandler() http.Handler { return http.HandlerFunc(s.handleMetrics) }
