package web

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the few numbers an operator watches, in Prometheus' text
// format: live connections, actions, fan-out queue depth, commit latency.
type metrics struct {
	conns    atomic.Int64
	actions  atomic.Int64
	messages atomic.Int64

	mu          sync.Mutex
	commits     int64
	commitNanos int64
	buckets     [9]int64 // one per commitBuckets entry
}

var commitBuckets = []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, time.Second}

func newMetrics() *metrics { return &metrics{} }

func (m *metrics) observeCommit(d time.Duration, n int) {
	m.messages.Add(int64(n))
	m.mu.Lock()
	m.commits++
	m.commitNanos += int64(d)
	for i, b := range commitBuckets {
		if d <= b {
			m.buckets[i]++
		}
	}
	m.mu.Unlock()
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	m := s.metrics
	st := s.hub.Stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE natter_connections gauge\nnatter_connections %d\n", m.conns.Load())
	fmt.Fprintf(w, "# TYPE natter_actions_total counter\nnatter_actions_total %d\n", m.actions.Load())
	fmt.Fprintf(w, "# TYPE natter_messages_committed_total counter\nnatter_messages_committed_total %d\n", m.messages.Load())
	fmt.Fprintf(w, "# TYPE natter_hub_queued_bytes gauge\nnatter_hub_queued_bytes %d\n", st.QueuedBytes)
	fmt.Fprintf(w, "# TYPE natter_hub_dropped_clients_total counter\nnatter_hub_dropped_clients_total %d\n", st.DroppedClients)
	fmt.Fprintf(w, "# TYPE natter_hub_delivered_total counter\nnatter_hub_delivered_total %d\n", st.Delivered)
	fmt.Fprintf(w, "# TYPE natter_hub_frames_total counter\nnatter_hub_frames_total %d\n", st.Frames)
	fmt.Fprintf(w, "# TYPE natter_hub_dropped_ephemeral_total counter\nnatter_hub_dropped_ephemeral_total %d\n", st.DroppedEphemeral)
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# TYPE natter_commit_seconds histogram\n")
	for i, b := range commitBuckets {
		fmt.Fprintf(w, "natter_commit_seconds_bucket{le=\"%g\"} %d\n", b.Seconds(), m.buckets[i])
	}
	fmt.Fprintf(w, "natter_commit_seconds_bucket{le=\"+Inf\"} %d\n", m.commits)
	fmt.Fprintf(w, "natter_commit_seconds_sum %g\nnatter_commit_seconds_count %d\n", time.Duration(m.commitNanos).Seconds(), m.commits)
}
