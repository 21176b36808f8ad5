package chat

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"natter/server/hub"
)

// Metrics are the few numbers an operator watches, written in Prometheus'
// text format: live connections, actions, refusals by budget, commit
// latency, and the hub's fan-out figures.
type Metrics struct {
	conns        atomic.Int64
	actions      atomic.Int64
	messages     atomic.Int64
	refused      [classCount]atomic.Int64
	refusedConns atomic.Int64

	mu          sync.Mutex
	commits     int64
	commitNanos int64
	buckets     [9]int64 // one per commitBuckets entry
}

var commitBuckets = []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, time.Second}

func (m *Metrics) observeCommit(d time.Duration, n int) {
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

// Refused returns how many frames each budget class has refused, by class
// name (action, read, signal), and how many connections the per-user cap
// refused: what an operator (and the abuse tests) watch during a flood.
func (m *Metrics) Refused() (byClass map[string]int64, conns int64) {
	byClass = make(map[string]int64, classCount)
	for i := range m.refused {
		byClass[classNames[i]] = m.refused[i].Load()
	}
	return byClass, m.refusedConns.Load()
}

// Write writes every figure, with the hub's, in Prometheus' text format.
func (m *Metrics) Write(w io.Writer, st hub.Stats) {
	fmt.Fprintf(w, "# TYPE natter_connections gauge\nnatter_connections %d\n", m.conns.Load())
	fmt.Fprintf(w, "# TYPE natter_actions_total counter\nnatter_actions_total %d\n", m.actions.Load())
	fmt.Fprintf(w, "# TYPE natter_messages_committed_total counter\nnatter_messages_committed_total %d\n", m.messages.Load())
	fmt.Fprintf(w, "# TYPE natter_refused_total counter\n")
	for i := range m.refused {
		fmt.Fprintf(w, "natter_refused_total{budget=%q} %d\n", classNames[i], m.refused[i].Load())
	}
	fmt.Fprintf(w, "natter_refused_total{budget=\"connections\"} %d\n", m.refusedConns.Load())
	fmt.Fprintf(w, "# TYPE natter_hub_queued_bytes gauge\nnatter_hub_queued_bytes %d\n", st.QueuedBytes)
	fmt.Fprintf(w, "# TYPE natter_hub_dropped_clients_total counter\nnatter_hub_dropped_clients_total %d\n", st.DroppedClients)
	fmt.Fprintf(w, "# TYPE natter_hub_delivered_total counter\nnatter_hub_delivered_total %d\n", st.Delivered)
	fmt.Fprintf(w, "# TYPE natter_hub_frames_total counter\nnatter_hub_frames_total %d\n", st.Frames)
	fmt.Fprintf(w, "# TYPE natter_hub_direct_frames_total counter\nnatter_hub_direct_frames_total %d\n", st.Direct)
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
