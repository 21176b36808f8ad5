//go:build js && wasm

package browser

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"natter/wasm/client"
)

// DBName and dbVersion identify the IndexedDB database. Bump dbVersion when
// client.Buckets gains a bucket, so the upgrade creates its object store.
const (
	DBName    = "natter"
	dbVersion = 2 // 2: the offline search index (client.BucketWords)
)

// IDB is client.Storage on IndexedDB: one object store per bucket, string
// keys, values as Uint8Array. Writes resolve only when their transaction has
// completed; outbox writes ask for strict durability (flushed to disk), since
// the engine reports an action accepted only after its Put returned.
type IDB struct {
	db js.Value
	// created is set when this open created the database: it holds
	// nothing yet (Created).
	created bool
}

// Created reports whether opening created the database, so there is
// nothing in it to read back (client.Config.StorageNew).
func (s *IDB) Created() bool { return s.created }

var _ client.Storage = (*IDB)(nil)

// OpenIDB opens (and on first use creates) the database. It fails when
// IndexedDB is missing or refused (some private modes); the UI then runs on
// client.NewMemoryStorage and tells the user nothing survives a reload.
func OpenIDB(ctx context.Context) (*IDB, error) {
	idb := global.Get("indexedDB")
	if idb.IsUndefined() || idb.IsNull() {
		return nil, errors.New("browser: IndexedDB is not available in this browser")
	}
	var req js.Value
	if err := try(func() { req = idb.Call("open", DBName, dbVersion) }); err != nil {
		return nil, fmt.Errorf("browser: open IndexedDB: %w", err)
	}
	created := false
	upgrade := js.FuncOf(func(_ js.Value, args []js.Value) any {
		created = len(args) > 0 && args[0].Get("oldVersion").Int() == 0
		db := req.Get("result")
		names := db.Get("objectStoreNames")
		for _, b := range client.Buckets {
			if !names.Call("contains", b).Bool() {
				db.Call("createObjectStore", b)
			}
		}
		return nil
	})
	defer upgrade.Release()
	req.Set("onupgradeneeded", upgrade)
	blocked := js.FuncOf(func(js.Value, []js.Value) any {
		global.Get("console").Call("warn", "natter: IndexedDB upgrade blocked by another tab")
		return nil
	})
	defer blocked.Release()
	req.Set("onblocked", blocked)
	db, err := awaitRequest(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("browser: open IndexedDB: %w", err)
	}
	// A newer version of the app opening the database in another tab waits
	// until every tab holding it closes it: close it here, so the upgrade
	// goes through; this tab's next write fails visibly and a reload
	// picks the new version up. (Never released: it lives as long as db.)
	db.Set("onversionchange", js.FuncOf(func(js.Value, []js.Value) any {
		db.Call("close")
		return nil
	}))
	return &IDB{db: db, created: created}, nil
}

// awaitRequest waits for an IDBRequest's success or error event.
func awaitRequest(ctx context.Context, req js.Value) (js.Value, error) {
	ch := make(chan error, 1)
	ok := js.FuncOf(func(js.Value, []js.Value) any { ch <- nil; return nil })
	fail := js.FuncOf(func(js.Value, []js.Value) any { ch <- jsErr(req.Get("error")); return nil })
	defer ok.Release()
	defer fail.Release()
	req.Set("onsuccess", ok)
	req.Set("onerror", fail)
	select {
	case err := <-ch:
		if err != nil {
			return js.Undefined(), err
		}
		return req.Get("result"), nil
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// run opens a transaction on bucket, lets f issue requests, and waits for
// the transaction to complete (or abort, with its error: QuotaExceededError
// surfaces here). The requests' results are read after completion.
func (s *IDB) run(ctx context.Context, bucket, mode string, f func(store js.Value)) error {
	var tx js.Value
	err := try(func() {
		if mode == "readwrite" && bucket == client.BucketOutbox {
			tx = s.db.Call("transaction", bucket, mode, map[string]any{"durability": "strict"})
		} else {
			tx = s.db.Call("transaction", bucket, mode)
		}
		f(tx.Call("objectStore", bucket))
	})
	if err != nil {
		return err
	}
	return awaitTx(ctx, tx)
}

// awaitTx waits for a transaction to complete, or to fail or abort with its
// error (QuotaExceededError surfaces here).
func awaitTx(ctx context.Context, tx js.Value) error {
	ch := make(chan error, 1)
	done := js.FuncOf(func(js.Value, []js.Value) any { ch <- nil; return nil })
	fail := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- jsErr(tx.Get("error")):
		default:
		}
		return nil
	})
	defer done.Release()
	defer fail.Release()
	tx.Set("oncomplete", done)
	tx.Set("onerror", fail)
	tx.Set("onabort", fail)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns the value under key.
func (s *IDB) Get(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	var req js.Value
	if err := s.run(ctx, bucket, "readonly", func(st js.Value) { req = st.Call("get", key) }); err != nil {
		return nil, false, fmt.Errorf("browser: get %s/%s: %w", bucket, key, err)
	}
	v := req.Get("result")
	if v.IsUndefined() || v.IsNull() {
		return nil, false, nil
	}
	return bytesOf(v), true, nil
}

// Put stores value under key and returns once the transaction completed.
func (s *IDB) Put(ctx context.Context, bucket, key string, value []byte) error {
	arr := js.Global().Get("Uint8Array").New(len(value))
	js.CopyBytesToJS(arr, value)
	if err := s.run(ctx, bucket, "readwrite", func(st js.Value) { st.Call("put", arr, key) }); err != nil {
		return fmt.Errorf("browser: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Delete removes key.
func (s *IDB) Delete(ctx context.Context, bucket, key string) error {
	if err := s.run(ctx, bucket, "readwrite", func(st js.Value) { st.Call("delete", key) }); err != nil {
		return fmt.Errorf("browser: delete %s/%s: %w", bucket, key, err)
	}
	return nil
}

// List returns the bucket's entries in key order (IndexedDB orders string
// keys by code unit, which matches Go's order for the ASCII keys used).
func (s *IDB) List(ctx context.Context, bucket string) ([]client.KV, error) {
	var keys, vals js.Value
	err := s.run(ctx, bucket, "readonly", func(st js.Value) {
		keys = st.Call("getAllKeys")
		vals = st.Call("getAll")
	})
	if err != nil {
		return nil, fmt.Errorf("browser: list %s: %w", bucket, err)
	}
	ks, vs := keys.Get("result"), vals.Get("result")
	n := ks.Length()
	out := make([]client.KV, 0, n)
	for i := 0; i < n; i++ {
		k := ks.Index(i)
		if k.Type() != js.TypeString {
			continue
		}
		out = append(out, client.KV{Key: k.String(), Value: bytesOf(vs.Index(i))})
	}
	return out, nil
}

// WriteAll applies a flush's writes in one readwrite transaction over the
// stores they touch: one round trip, and all of them or (aborted) none.
func (s *IDB) WriteAll(ctx context.Context, ws []client.Write) error {
	var tx js.Value
	err := try(func() {
		var names []any
		seen := map[string]bool{}
		for _, w := range ws {
			if !seen[w.Bucket] {
				seen[w.Bucket] = true
				names = append(names, w.Bucket)
			}
		}
		tx = s.db.Call("transaction", names, "readwrite")
		stores := map[string]js.Value{}
		for _, w := range ws {
			st, ok := stores[w.Bucket]
			if !ok {
				st = tx.Call("objectStore", w.Bucket)
				stores[w.Bucket] = st
			}
			if w.Value == nil {
				st.Call("delete", w.Key)
				continue
			}
			arr := js.Global().Get("Uint8Array").New(len(w.Value))
			js.CopyBytesToJS(arr, w.Value)
			st.Call("put", arr, w.Key)
		}
	})
	if err != nil {
		return fmt.Errorf("browser: write: %w", err)
	}
	if err := awaitTx(ctx, tx); err != nil {
		return fmt.Errorf("browser: write: %w", err)
	}
	return nil
}

var _ client.Clearer = (*IDB)(nil)

// Clear empties every object store in one readwrite transaction with strict
// durability: IndexedDB runs transactions over overlapping stores one after
// another, so another tab's write lands wholly before the wipe (and is
// wiped) or wholly after it, and nobody ever reads half of the user's data.
func (s *IDB) Clear(ctx context.Context) error {
	var tx js.Value
	err := try(func() {
		names := make([]any, len(client.Buckets))
		for i, b := range client.Buckets {
			names[i] = b
		}
		tx = s.db.Call("transaction", names, "readwrite", map[string]any{"durability": "strict"})
		for _, b := range client.Buckets {
			tx.Call("objectStore", b).Call("clear")
		}
	})
	if err != nil {
		return fmt.Errorf("browser: clear: %w", err)
	}
	if err := awaitTx(ctx, tx); err != nil {
		return fmt.Errorf("browser: clear: %w", err)
	}
	return nil
}

// bytesOf copies a stored value out: a Uint8Array, or a string from an
// older version.
func bytesOf(v js.Value) []byte {
	if v.Type() == js.TypeString {
		return []byte(v.String())
	}
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		v = js.Global().Get("Uint8Array").New(v)
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b
}
