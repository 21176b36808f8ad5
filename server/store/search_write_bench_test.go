package store_test

import (
	"fmt"
	"testing"
	"time"

	"natter/server/store"
)

// BenchmarkSearchIndexWriteCost is the paired before/after of what the
// search column and its index cost the group commit: two databases, one
// with the column and index dropped (as before the search migration),
// sending the same batches of 64 ten-word messages in alternation, so
// both see the same machine at the same moments. It reports µs per
// message for each and their ratio.
//
//	go test -run '^$' -bench SearchIndexWriteCost -benchtime 1x ./server/store/
func BenchmarkSearchIndexWriteCost(b *testing.B) {
	const batch, rounds, batchesPerRound = 64, 60, 3
	with, withIDs, withConvs := benchConvs(b, 8, 4)
	without, withoutIDs, withoutConvs := benchConvs(b, 8, 4)
	for _, q := range []string{`DROP INDEX messages_search`, `ALTER TABLE messages DROP COLUMN search`} {
		if _, err := without.DB.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	send := func(s *store.Store, ids []int64, convs []string, n int) time.Duration {
		start := time.Now()
		for i := range n {
			reqs := make([]store.SendRequest, batch)
			for j := range reqs {
				k := i*batch + j
				reqs[j] = store.SendRequest{UserID: ids[k%len(ids)], ActionID: act(), ConversationID: convs[k%len(convs)],
					Body: fmt.Sprintf("see you at the station at %d, bring the tickets and snacks please", k)}
			}
			for _, r := range s.SendMessages(ctx, reqs) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		return time.Since(start)
	}
	var tWith, tWithout time.Duration
	for b.Loop() {
		for r := range rounds {
			if r%2 == 0 { // alternate who goes first
				tWith += send(with, withIDs, withConvs, batchesPerRound)
				tWithout += send(without, withoutIDs, withoutConvs, batchesPerRound)
			} else {
				tWithout += send(without, withoutIDs, withoutConvs, batchesPerRound)
				tWith += send(with, withIDs, withConvs, batchesPerRound)
			}
		}
	}
	msgs := float64(b.N * rounds * batchesPerRound * batch)
	b.ReportMetric(float64(tWith.Microseconds())/msgs, "with-µs/msg")
	b.ReportMetric(float64(tWithout.Microseconds())/msgs, "without-µs/msg")
	b.ReportMetric(float64(tWith)/float64(tWithout), "ratio")
}
