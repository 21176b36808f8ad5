package push

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
)

// metrics are the push counters for /metrics.
type metrics struct {
	sent, gone, retries, dropped atomic.Int64

	mu      sync.Mutex
	failure map[string]int64 // by reason: status, network, address, encrypt, lookup
	skip    map[string]int64 // by reason: viewing, connected
}

func (m *metrics) failed(reason string) { m.add(&m.failure, reason) }

func (m *metrics) skipped(reason string) { m.add(&m.skip, reason) }

func (m *metrics) add(into *map[string]int64, reason string) {
	m.mu.Lock()
	if *into == nil {
		*into = map[string]int64{}
	}
	(*into)[reason]++
	m.mu.Unlock()
}

// Counts returns the counters by name (sent, gone, retries, dropped,
// failed_<reason>, skipped_<reason>), for tests and tools.
func (p *Pusher) Counts() map[string]int64 {
	m := &p.metrics
	out := map[string]int64{"sent": m.sent.Load(), "gone": m.gone.Load(), "retries": m.retries.Load(), "dropped": m.dropped.Load()}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.failure {
		out["failed_"+k] = v
	}
	for k, v := range m.skip {
		out["skipped_"+k] = v
	}
	return out
}

// WriteMetrics writes the counters in Prometheus' text format.
func (p *Pusher) WriteMetrics(w io.Writer) {
	m := &p.metrics
	fmt.Fprintf(w, "# TYPE natter_push_sent_total counter\nnatter_push_sent_total %d\n", m.sent.Load())
	fmt.Fprintf(w, "# TYPE natter_push_gone_total counter\nnatter_push_gone_total %d\n", m.gone.Load())
	fmt.Fprintf(w, "# TYPE natter_push_retries_total counter\nnatter_push_retries_total %d\n", m.retries.Load())
	fmt.Fprintf(w, "# TYPE natter_push_dropped_total counter\nnatter_push_dropped_total %d\n", m.dropped.Load())
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# TYPE natter_push_failed_total counter\n")
	for _, k := range sorted(m.failure) {
		fmt.Fprintf(w, "natter_push_failed_total{reason=%q} %d\n", k, m.failure[k])
	}
	fmt.Fprintf(w, "# TYPE natter_push_skipped_total counter\n")
	for _, k := range sorted(m.skip) {
		fmt.Fprintf(w, "natter_push_skipped_total{reason=%q} %d\n", k, m.skip[k])
	}
}

func sorted(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
