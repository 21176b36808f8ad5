package client

import (
	"context"
	"encoding/json"
	"slices"

	"natter/shared"
)

// BucketWords holds the offline search index: conversation id -> the
// inverted index of the messages of it this device keeps (wordIndex).
const BucketWords = "words"

// wordIndex is one conversation's inverted index: each normalised word
// (shared.SearchWords, the rule the server's index follows) to the seqs of
// the cached messages holding it, ascending. Seqs lists every indexed
// message, for searches by filter alone. Deleted, erased and system
// messages are not indexed, as on the server.
type wordIndex struct {
	Words map[string][]int64 `json:"w"`
	Seqs  []int64            `json:"s"`
}

// indexable reports whether a message is searchable at all.
func indexable(m shared.Message) bool {
	return m.DeletedAt == nil && m.Body != "" && (m.Kind == "" || m.Kind == shared.KindText)
}

// buildIndex indexes msgs (sorted by seq). It is rebuilt whole when the
// conversation is written: an edit or a delete then leaves no stale word
// behind, and a thousand messages take well under a millisecond.
func buildIndex(msgs []shared.Message) *wordIndex {
	ix := &wordIndex{Words: map[string][]int64{}}
	for _, m := range msgs {
		ix.add(m)
	}
	return ix
}

// add indexes m, which comes after every message indexed so far.
func (ix *wordIndex) add(m shared.Message) {
	if !indexable(m) {
		return
	}
	ix.Seqs = append(ix.Seqs, m.Seq)
	for _, w := range shared.SearchWords(m.Body) {
		seqs := ix.Words[w]
		if n := len(seqs); n == 0 || seqs[n-1] != m.Seq {
			ix.Words[w] = append(seqs, m.Seq)
		}
	}
}

// candidates returns the seqs holding every word of q (the last as a
// prefix when q.Prefix), ascending; every indexed seq when q has no words.
func (ix *wordIndex) candidates(q shared.SearchQuery) []int64 {
	if len(q.Words) == 0 {
		return ix.Seqs
	}
	var out []int64
	for i, w := range q.Words {
		var seqs []int64
		if q.Prefix && i == len(q.Words)-1 {
			for have, s := range ix.Words {
				if len(have) >= len(w) && have[:len(w)] == w {
					seqs = append(seqs, s...)
				}
			}
			slices.Sort(seqs)
			seqs = slices.Compact(seqs)
		} else {
			seqs = ix.Words[w]
		}
		if i == 0 {
			out = slices.Clone(seqs)
		} else {
			out = intersect(out, seqs)
		}
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// intersect returns the seqs in both ascending lists.
func intersect(a, b []int64) []int64 {
	var out []int64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// readIndex reads the stored offline index into memory, once: on the
// first local search rather than at start, where decoding every
// conversation's index cost the commonest visit (online, never searching
// offline) time before its first frame. It holds flushMu, so no write is
// under way: what is stored then matches what the last write collected. An
// index already in memory (written since the start) is newer and stays; a
// conversation changed since its last write is indexed afresh by the search
// anyway. An unreadable index is left out: the search indexes the messages.
func (e *Engine) readIndex(ctx context.Context) {
	e.mu.Lock()
	done := e.indexRead
	e.mu.Unlock()
	if done {
		return
	}
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	kvs, err := e.cfg.Storage.List(ctx, BucketWords)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.log.Warn("client: read the offline search index", "err", err)
	}
	for _, kv := range kvs {
		var ix wordIndex
		if e.convs[kv.Key] != nil && e.index[kv.Key] == nil && json.Unmarshal(kv.Value, &ix) == nil && ix.Words != nil {
			e.index[kv.Key] = &ix
		}
	}
	e.indexRead = true
}

// retention is the policy in force.
func (e *Engine) retention() Retention { return e.cfg.Retention.orDefault() }
