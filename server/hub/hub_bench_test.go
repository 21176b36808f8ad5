package hub_test

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"

	"natter/server/hub"
)

// countConn discards frames, counting envelopes, and reports when it has
// seen its target.
type countConn struct {
	got, target int
	wg          *sync.WaitGroup
}

func (c *countConn) Write(_ context.Context, frame []byte) error {
	c.got += bytes.Count(frame, []byte{'\n'}) + 1
	if c.got == c.target {
		c.wg.Done()
	}
	return nil
}

func (c *countConn) Close(string) {}

// benchFanout publishes b.N events, perBatch per broker call, each to the
// same 1,000 clients, and waits until every client has written all of them.
func benchFanout(b *testing.B, perBatch int) {
	const clients = 1000
	h := hub.New(hub.Options{Logger: quiet})
	defer h.Close()
	var wg sync.WaitGroup
	wg.Add(clients)
	users := make([]int64, clients)
	for i := range users {
		users[i] = int64(i + 1)
		h.Attach(users[i], users[i], &countConn{target: b.N, wg: &wg})
	}
	payload := envelope(1, 200) // a typical message.created
	batch := make([]hub.Event, 0, perBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch = append(batch, hub.Event{UserIDs: users, Payload: payload})
		if len(batch) == perBatch || i == b.N-1 {
			h.PublishBatch(batch)
			batch = batch[:0]
		}
	}
	wg.Wait()
	b.StopTimer()
	st := h.Stats()
	b.ReportMetric(float64(b.N)*clients/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(st.Delivered)/float64(max(st.Frames, 1)), "envelopes/frame")
	if st.DroppedClients != 0 {
		b.Fatalf("%d clients dropped", st.DroppedClients)
	}
}

// BenchmarkFanout1000 is one event to 1,000 clients, one Publish per event.
func BenchmarkFanout1000(b *testing.B) { benchFanout(b, 1) }

// BenchmarkFanout1000Batch16 publishes 16 events per broker call, as a group
// commit does.
func BenchmarkFanout1000Batch16(b *testing.B) { benchFanout(b, 16) }

// BenchmarkIdleClient measures the memory an idle connection costs the hub
// (client, queue, writer goroutine stack) after it has received traffic. It
// attaches 10,000 clients per iteration; run it with -benchtime=1x.
func BenchmarkIdleClient(b *testing.B) {
	const clients = 10000
	for i := 0; i < b.N; i++ {
		h := hub.New(hub.Options{Logger: quiet})
		var wg sync.WaitGroup
		wg.Add(clients)
		before := memUse()
		for u := int64(1); u <= clients; u++ {
			h.Attach(u, u, &countConn{target: 20, wg: &wg})
		}
		for range 20 {
			h.Publish(hub.Event{UserIDs: allUsers(clients), Payload: envelope(1, 200)})
		}
		wg.Wait()
		after := memUse()
		b.ReportMetric(float64(after-before)/clients, "B/client")
		h.Close()
	}
}

func allUsers(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

// memUse is live heap plus goroutine stacks after a collection.
func memUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}
