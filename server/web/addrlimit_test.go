package web

import (
	"context"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/store"
)

// twoNodes returns two stores on one fresh database: what two servers of a
// cluster share.
func twoNodes(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	dsn := pgtest.MustDSN(t)
	return store.New(pgtest.Open(t, dsn)), store.New(pgtest.Open(t, dsn))
}

// The bucket is shared: requests spread over two nodes meet one limit.
func TestAddrLimiter(t *testing.T) {
	s1, s2 := twoNodes(t)
	now := time.Unix(1_000_000, 0)
	var nodes []*addrLimiter
	for _, st := range []*store.Store{s1, s2} {
		l := newAddrLimiter(st, "register", 3, time.Hour)
		l.now = func() time.Time { return now }
		nodes = append(nodes, l)
	}
	i := 0
	allow := func(key string) (time.Duration, bool) {
		t.Helper()
		i++
		wait, ok, err := nodes[i%2].allow(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return wait, ok
	}
	for i := range 3 {
		if _, ok := allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	wait, ok := allow("a")
	if ok || wait <= 0 || wait > 20*time.Minute {
		t.Fatalf("fourth request: ok %v, wait %v; want refused for up to 20m", ok, wait)
	}
	if _, ok := allow("b"); !ok {
		t.Fatal("another address was refused")
	}
	now = now.Add(wait)
	if _, ok := allow("a"); !ok {
		t.Fatal("refused after the advertised wait")
	}
	if _, ok := allow("a"); ok {
		t.Fatal("a refused request's token was not given back, or the bucket refilled too fast")
	}
	off := newAddrLimiter(s1, "register", -1, time.Hour)
	for range 100 {
		if _, ok, _ := off.allow(context.Background(), "a"); !ok {
			t.Fatal("a disabled limiter refused")
		}
	}
}
