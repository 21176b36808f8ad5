package client

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"natter/shared"
)

// loadBuckets are the buckets the engine reads back at start, in one
// snapshot.
var loadBuckets = []string{BucketMeta, BucketConvs, BucketMessages, BucketWords, BucketOutbox, BucketDrafts, BucketRedirects}

// cacheReader is what load reads from: one snapshot of every bucket when
// Storage can take it, which in IndexedDB is one transaction (one round
// trip to the browser's storage instead of one per bucket, on the path to
// the first hello) and a consistent view (another tab's write is seen
// whole or not at all). When the snapshot fails, each bucket is read on its
// own, so that one unreadable bucket costs only itself.
type cacheReader struct {
	st   Storage
	snap map[string][]KV // nil: read each bucket on its own
}

// newCacheReader takes the snapshot.
func newCacheReader(ctx context.Context, st Storage) cacheReader {
	snap, err := st.Snapshot(ctx, loadBuckets...)
	if err != nil {
		return cacheReader{st: st}
	}
	return cacheReader{st: st, snap: snap}
}

// list returns a bucket's entries in key order.
func (r cacheReader) list(ctx context.Context, bucket string) ([]KV, error) {
	if r.snap != nil {
		return r.snap[bucket], nil
	}
	return r.st.List(ctx, bucket)
}

// get returns the value under key.
func (r cacheReader) get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	if r.snap == nil {
		return r.st.Get(ctx, bucket, key)
	}
	kvs := r.snap[bucket]
	i, ok := slices.BinarySearchFunc(kvs, key, func(kv KV, k string) int { return strings.Compare(kv.Key, k) })
	if !ok {
		return nil, false, nil
	}
	return kvs[i].Value, true, nil
}

// load reads everything back from Storage. A bucket that cannot be read is
// reported in StorageError and the engine starts without it.
func (e *Engine) load(ctx context.Context) {
	st := newCacheReader(ctx, e.cfg.Storage)
	e.mu.Lock()
	defer e.unlock()
	e.touch()
	fail := func(err error) {
		if err != nil {
			e.setStorageErr(err)
		}
	}
	noUser := false // the user's record is known to be absent, not unreadable
	if b, ok, err := st.get(ctx, BucketMeta, metaKey); err != nil {
		fail(err)
	} else if !ok {
		noUser = true
	} else {
		var m meta
		if json.Unmarshal(b, &m) == nil {
			e.me = m.User
			if m.BodyMax > 0 {
				e.bodyMax = m.BodyMax
			}
		}
	}
	e.loadMutes(ctx, st)
	kvs, err := st.list(ctx, BucketConvs)
	fail(err)
	for _, kv := range kvs {
		var cc cachedConv
		if json.Unmarshal(kv.Value, &cc) != nil || cc.Conv.ID == "" {
			continue
		}
		c := newConv(cc.Conv)
		c.pending, c.failed, c.noOlder, c.events = cc.Pending, cc.Failed, cc.NoOlder, cc.Events
		e.convs[cc.Conv.ID] = c
	}
	kvs, err = st.list(ctx, BucketMessages)
	fail(err)
	for _, kv := range kvs {
		c := e.convs[kv.Key]
		var msgs []shared.Message
		if c == nil || json.Unmarshal(kv.Value, &msgs) != nil {
			continue
		}
		for _, m := range msgs {
			c.merge(m)
		}
	}
	fail(e.loadIndex(ctx, st))
	kvs, err = st.list(ctx, BucketOutbox)
	fail(err)
	e.outbox = e.outbox[:0]
	for _, kv := range kvs {
		a, err := decodeAction(kv)
		if err != nil {
			e.log.Warn("client: outbox entry", "key", kv.Key, "err", err)
			continue
		}
		e.lastOrder = max(e.lastOrder, keyOrder(kv.Key))
		e.outbox = append(e.outbox, a)
	}
	kvs, err = st.list(ctx, BucketDrafts)
	fail(err)
	for _, kv := range kvs {
		e.drafts[kv.Key] = string(kv.Value)
	}
	kvs, err = st.list(ctx, BucketRedirects)
	fail(err)
	for _, kv := range kvs {
		e.redirects[kv.Key] = string(kv.Value)
	}
	if noUser && (len(e.outbox) > 0 || len(e.drafts) > 0 || len(e.convs) > 0 || len(e.redirects) > 0) {
		// Data without its user: a wipe (a revocation, a sign-out) removes
		// the user's record with everything else in one step, so this is
		// what a tab that had not heard of the wipe yet wrote afterwards
		// and could not wipe again before it died. It belongs to nobody
		// signed in here: drop it. (The user's record is written at sign-in
		// and at every welcome, before anything can be queued or drafted.)
		e.log.Warn("client: dropping data left by a signed-out user", "actions", len(e.outbox), "drafts", len(e.drafts))
		fail(e.clearStorage())
		e.clearMemory()
	}
	e.expireOld()
}
