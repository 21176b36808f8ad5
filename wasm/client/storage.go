package client

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// Storage is durable key-value storage in named buckets: IndexedDB in the
// browser, MemoryStorage in tests. Put must not return before the value is
// durable, because the outbox relies on it: an action is acknowledged to the
// UI only after its Put returned. Errors such as a full or refused store are
// returned, never swallowed, so the UI can show them.
type Storage interface {
	Get(ctx context.Context, bucket, key string) ([]byte, bool, error)
	Put(ctx context.Context, bucket, key string, value []byte) error
	Delete(ctx context.Context, bucket, key string) error
	List(ctx context.Context, bucket string) ([]KV, error) // ordered by key
	// WriteAll applies many writes at once, all or none: a flush is one
	// IndexedDB transaction instead of one per record, so it lands in one
	// round trip (the flush when the page is hidden races the page's end),
	// and an ack's changes and the removal of its outbox entry are never
	// written apart.
	WriteAll(ctx context.Context, ws []Write) error
}

// KV is one entry of a bucket.
type KV struct {
	Key   string
	Value []byte
}

// Buckets the engine uses. Package browser creates one object store each.
const (
	BucketMeta      = "meta"      // the signed-in user and server limits
	BucketConvs     = "convs"     // conversation id -> cached conversation
	BucketMessages  = "messages"  // conversation id -> newest messages
	BucketOutbox    = "outbox"    // order key -> queued action
	BucketDrafts    = "drafts"    // conversation id or "new" -> text
	BucketRedirects = "redirects" // conversation made offline -> the one it was merged into
	// BucketWords (searchindex.go) is the offline search index.
)

// Buckets lists every bucket, for stores that must declare them up front.
var Buckets = []string{BucketMeta, BucketConvs, BucketMessages, BucketOutbox, BucketDrafts, BucketRedirects, BucketWords}

// MemoryStorage is Storage in memory: the native tests' stand-in for
// IndexedDB, and a fallback when the browser refuses IndexedDB altogether.
// A test can make it fail like a full disk with SetError.
type MemoryStorage struct {
	mu      sync.Mutex
	buckets map[string]map[string][]byte
	err     error
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{buckets: map[string]map[string][]byte{}}
}

// SetError makes every later write fail with err (nil heals it), the way a
// full or refused IndexedDB does; reads keep working.
func (m *MemoryStorage) SetError(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// Get returns a copy of the value stored under key.
func (m *MemoryStorage) Get(_ context.Context, bucket, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.buckets[bucket][key]
	return slices.Clone(v), ok, nil
}

// Put stores a copy of value under key.
func (m *MemoryStorage) Put(_ context.Context, bucket, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	b := m.buckets[bucket]
	if b == nil {
		b = map[string][]byte{}
		m.buckets[bucket] = b
	}
	b[key] = slices.Clone(value)
	return nil
}

// Delete removes key; deleting a missing key is not an error.
func (m *MemoryStorage) Delete(_ context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	delete(m.buckets[bucket], key)
	return nil
}

// List returns copies of every entry of bucket ordered by key.
func (m *MemoryStorage) List(_ context.Context, bucket string) ([]KV, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]KV, 0, len(m.buckets[bucket]))
	for k, v := range m.buckets[bucket] {
		out = append(out, KV{Key: k, Value: slices.Clone(v)})
	}
	slices.SortFunc(out, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Write is one operation of a WriteAll: a put, or a delete when Value is
// nil.
type Write struct {
	Bucket, Key string
	Value       []byte
}

// WriteAll applies every write or, failing, none.
func (m *MemoryStorage) WriteAll(_ context.Context, ws []Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	for _, w := range ws {
		b := m.buckets[w.Bucket]
		if w.Value == nil {
			delete(b, w.Key)
			continue
		}
		if b == nil {
			b = map[string][]byte{}
			m.buckets[w.Bucket] = b
		}
		b[w.Key] = slices.Clone(w.Value)
	}
	return nil
}

// Clear empties every bucket at once, as one IndexedDB transaction does.
func (m *MemoryStorage) Clear(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.buckets = map[string]map[string][]byte{}
	return nil
}

// TokenStore keeps the sealed resume token for the life of the tab:
// sessionStorage in the browser, MemoryTokens natively.
type TokenStore interface {
	Get() string
	Set(string)
}

// MemoryTokens is a TokenStore in memory.
type MemoryTokens struct {
	mu    sync.Mutex
	token string
}

// Get returns the stored token or "".
func (t *MemoryTokens) Get() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

// Set replaces the stored token; "" forgets it.
func (t *MemoryTokens) Set(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token = s
}
