package client

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"

	"natter/shared"
)

// countingStorage counts the reads a load makes, and can refuse snapshots.
type countingStorage struct {
	*MemoryStorage
	snapErr            error
	snaps, lists, gets atomic.Int32
}

func (s *countingStorage) Snapshot(ctx context.Context, buckets ...string) (map[string][]KV, error) {
	s.snaps.Add(1)
	if s.snapErr != nil {
		return nil, s.snapErr
	}
	return s.MemoryStorage.Snapshot(ctx, buckets...)
}

func (s *countingStorage) List(ctx context.Context, bucket string) ([]KV, error) {
	s.lists.Add(1)
	return s.MemoryStorage.List(ctx, bucket)
}

func (s *countingStorage) Get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	s.gets.Add(1)
	return s.MemoryStorage.Get(ctx, bucket, key)
}

// loadedState is what a load brought back, for comparing two loads.
type loadedState struct {
	Me      shared.User
	Convs   []ConvView
	Outbox  []string
	Drafts  map[string]string
	Mutes   map[string]shared.Mute
	Indexed []string
}

func loaded(e *Engine) loadedState {
	var st loadedState
	st.Me = e.State().Me
	st.Convs = e.State().Conversations
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range e.outbox {
		st.Outbox = append(st.Outbox, a.ID)
	}
	st.Drafts, st.Mutes = e.drafts, e.mutes
	for id := range e.index {
		st.Indexed = append(st.Indexed, id)
	}
	return st
}

// A start reads the whole cache in one snapshot, not one read per bucket,
// and brings back the same state as reading each bucket; when the snapshot
// fails, the buckets are read one by one and nothing is lost.
func TestLoadReadsOneSnapshot(t *testing.T) {
	mem := NewMemoryStorage()
	e := mustOfflineEngine(t, mem)
	for i := range 3 {
		conv := fmt.Sprintf("c%d", i)
		mustConv(t, e, conv, 5)
		if _, err := e.Send(conv, "queued "+conv); err != nil {
			t.Fatal(err)
		}
		e.SetDraft(conv, "draft "+conv)
	}
	if err := e.Mute("c1", nil, true); err != nil {
		t.Fatal(err)
	}
	e.Stop()

	for _, tc := range []struct {
		name          string
		snapErr       error
		wantSnaps     int32
		wantPerBucket bool
	}{
		{"snapshot", nil, 1, false},
		{"snapshot refused", errors.New("quota"), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &countingStorage{MemoryStorage: mem, snapErr: tc.snapErr}
			again := New(Config{Storage: st})
			again.load(context.Background())
			if got := st.snaps.Load(); got != tc.wantSnaps {
				t.Errorf("%d snapshots taken, want %d", got, tc.wantSnaps)
			}
			if perBucket := st.lists.Load()+st.gets.Load() > 0; perBucket != tc.wantPerBucket {
				t.Errorf("%d lists and %d gets: read bucket by bucket %v, want %v", st.lists.Load(), st.gets.Load(), perBucket, tc.wantPerBucket)
			}
			got := loaded(again)
			if got.Me.ID != 7 || len(got.Convs) != 3 || len(got.Outbox) != 4 || // three sends and the mute
				len(got.Drafts) != 3 || len(got.Mutes) != 1 || len(got.Indexed) != 3 {
				t.Fatalf("loaded %+v", got)
			}
			ref := New(Config{Storage: &countingStorage{MemoryStorage: mem, snapErr: errors.New("off")}})
			ref.load(context.Background())
			if want := loaded(ref); !reflect.DeepEqual(got.Outbox, want.Outbox) || !reflect.DeepEqual(got.Drafts, want.Drafts) ||
				!reflect.DeepEqual(got.Mutes, want.Mutes) || len(got.Convs) != len(want.Convs) {
				t.Fatalf("snapshot load\n%+v\ndiffers from the bucket-by-bucket one\n%+v", got, want)
			}
		})
	}
}
