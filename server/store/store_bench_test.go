package store_test

import (
	"sync/atomic"
	"testing"

	"natter/server/store"
)

// benchConvs makes users and conversations for a benchmark: convs
// conversations, each with all users as members.
func benchConvs(b *testing.B, users, convs int) (*store.Store, []int64, []string) {
	b.Helper()
	s := MustStore(b)
	us := MustUsers(b, s, "bench", users)
	ids := make([]int64, users)
	for i, u := range us {
		ids[i] = u.ID
	}
	convIDs := make([]string, convs)
	for i := range convIDs {
		convIDs[i] = MustConv(b, s, ids[0], "bench", ids[1:]...).ID
	}
	return s, ids, convIDs
}

// BenchmarkSendMessage is the slow path: one transaction per message.
// "one" puts every sender in the same conversation (bounded by its row
// lock); "spread" gives each goroutine its own conversation.
func BenchmarkSendMessage(b *testing.B) {
	for _, tc := range []struct {
		name  string
		convs int
	}{{"one", 1}, {"spread", 16}} {
		b.Run(tc.name, func(b *testing.B) {
			s, ids, convs := benchConvs(b, 8, tc.convs)
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := next.Add(1)
				user, conv := ids[int(w)%len(ids)], convs[int(w)%len(convs)]
				for pb.Next() {
					if _, err := s.SendMessage(ctx, user, act(), conv, "benchmark message body"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSendMessagesBatch is the group-commit path: each goroutine sends
// batches of 64 messages from several users into a few conversations. One
// op is one message.
func BenchmarkSendMessagesBatch(b *testing.B) {
	const batch = 64
	s, ids, convs := benchConvs(b, 8, 4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		reqs := make([]store.SendRequest, 0, batch)
		flush := func() {
			for _, r := range s.SendMessages(ctx, reqs) {
				if r.Err != nil {
					b.Error(r.Err)
				}
			}
			reqs = reqs[:0]
		}
		i := 0
		for pb.Next() {
			i++
			reqs = append(reqs, store.SendRequest{UserID: ids[i%len(ids)], ActionID: act(), ConversationID: convs[i%len(convs)], Body: "benchmark message body"})
			if len(reqs) == batch {
				flush()
			}
		}
		if len(reqs) > 0 {
			flush()
		}
	})
}

// BenchmarkHistory reads pages deep in a 50,000-message conversation; it
// should cost the same as a page of a small one.
func BenchmarkHistory(b *testing.B) {
	const total, batch = 50_000, 1000
	s, ids, convs := benchConvs(b, 2, 1)
	for sent := 0; sent < total; sent += batch {
		reqs := make([]store.SendRequest, batch)
		for i := range reqs {
			reqs[i] = store.SendRequest{UserID: ids[i%2], ActionID: act(), ConversationID: convs[0], Body: "history"}
		}
		for _, r := range s.SendMessages(ctx, reqs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		before := int64(i*7919%total + 1)
		if _, err := s.History(ctx, ids[0], convs[0], before, 50); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMembersOf reads the members of a 1,000-member conversation the
// way every commit does for its fan-out: "rows" is the former query (one
// row per member), "array" the current one (one row per conversation).
// Both run in the same benchmark run, so the pair is comparable.
func BenchmarkMembersOf(b *testing.B) {
	s, ids, convs := benchConvs(b, 1000, 1)
	ctx := b.Context()
	for _, c := range []struct {
		name string
		read func() (map[string][]int64, error)
	}{
		{"rows", func() (map[string][]int64, error) { return s.MembersOfRows(ctx, convs) }},
		{"array", func() (map[string][]int64, error) { return s.MembersOf(ctx, convs) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := c.read()
				if err != nil || len(m[convs[0]]) != len(ids) {
					b.Fatalf("%d members, %v", len(m[convs[0]]), err)
				}
			}
		})
	}
}
