package store_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"natter/server/store"
)

// BenchmarkIngestCommit is the group commit as natterbench's ingest scenario
// drives it: 1,000 one-to-one conversations, batches of 480 messages, 4 per
// conversation. It runs on one connection so that the PostgreSQL backend's
// own CPU time can be read from /proc and reported per message
// (pg-cpu-µs/msg); wall time also counts the Go side and the round trip.
func BenchmarkIngestCommit(b *testing.B) {
	const convs, perConv, batchConvs = 1000, 4, 120
	s := MustStore(b)
	us := MustUsers(b, s, "ingest", 2*convs)
	ids := make([]string, convs)
	for i := range ids {
		ids[i] = MustConv(b, s, us[2*i].ID, "ingest", us[2*i+1].ID).ID
	}
	s.DB.SetMaxOpenConns(1)
	var pid int
	if err := s.DB.NewRaw("SELECT pg_backend_pid()").Scan(ctx, &pid); err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("x", 64)
	next := 0
	batch := func() {
		reqs := make([]store.SendRequest, 0, perConv*batchConvs)
		for range perConv {
			for i := range batchConvs {
				c := (next + i) % convs
				reqs = append(reqs, store.SendRequest{UserID: us[2*c].ID, ActionID: act(), ConversationID: ids[c], Body: body})
			}
		}
		next += batchConvs
		for _, r := range s.SendMessages(ctx, reqs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	for range 10 { // warm the connection's plans and the caches
		batch()
	}
	cpu0 := backendCPU(b, pid)
	b.ResetTimer()
	for b.Loop() {
		batch()
	}
	b.StopTimer()
	msgs := float64(b.N * perConv * batchConvs)
	b.ReportMetric(float64((backendCPU(b, pid)-cpu0).Microseconds())/msgs, "pg-cpu-µs/msg")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/msgs, "wall-µs/msg")
}

// backendCPU is the user and system CPU time a process has used so far.
func backendCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("parse %s: %v %v", s, err1, err2)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond // clock ticks of 1/100 s
}
