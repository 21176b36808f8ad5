package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/store"
)

// Parallel requests on two nodes' pools take exactly the bucket's tokens,
// and parallel reservations exactly the marks a limit allows: counting is
// atomic across nodes.
func TestThrottlesAtomicAcrossNodes(t *testing.T) {
	dsn := pgtest.MustDSN(t)
	nodes := []*store.Store{store.New(pgtest.Open(t, dsn)), store.New(pgtest.Open(t, dsn))}
	now := time.Now()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		try  func(st *store.Store) (bool, error)
		want int
	}{
		{"token bucket", func(st *store.Store) (bool, error) {
			_, ok, err := st.TakeToken(ctx, "k", now, 0.001, 5)
			return ok, err
		}, 5},
		{"sliding window", func(st *store.Store) (bool, error) {
			_, _, ok, err := st.ReserveMarks(ctx, []string{"a", "b"}, now, time.Hour, func(l []store.Marks) (time.Duration, bool) {
				return time.Minute, len(l[0]) < 7 && len(l[1]) < 7
			})
			return ok, err
		}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			granted := 0
			for i := range 30 {
				wg.Go(func() {
					ok, err := tc.try(nodes[i%2])
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						granted++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if granted != tc.want {
				t.Fatalf("granted %d of 30, want exactly %d", granted, tc.want)
			}
		})
	}
}
