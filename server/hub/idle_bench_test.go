package hub_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"natter/server/hub"
)

// signalConn discards frames and says when one was written.
type signalConn struct{ wrote chan struct{} }

func (c *signalConn) Write(context.Context, []byte) error {
	c.wrote <- struct{}{}
	return nil
}

func (c *signalConn) Close(string) {}

// BenchmarkFanoutOneAtATime is fan-out at a moderate rate: each event goes
// to 1,000 clients and is written by all of them before the next one, so
// every writer finds its queue empty after each event and parks (100
// msg/s into a big conversation looks like this). It reports the process
// CPU per delivery, which is what a busy machine leaves steady.
func BenchmarkFanoutOneAtATime(b *testing.B) {
	const clients = 1000
	h := hub.New(hub.Options{Logger: quiet})
	defer h.Close()
	wrote := make(chan struct{}, clients)
	users := make([]int64, clients)
	for i := range users {
		users[i] = int64(i + 1)
		h.Attach(users[i], users[i], &signalConn{wrote: wrote})
	}
	payload := envelope(1, 200)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		h.Publish(hub.Event{UserIDs: users, Payload: payload})
		for range clients {
			<-wrote
		}
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N*clients), "cpu-ns/delivery")
}

// processCPU is the CPU time this process has used, user and system, in
// nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Nanoseconds()
}
