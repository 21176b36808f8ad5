package client

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"natter/shared"
)

// LocalSearchMax caps the results an offline search collects: a device's
// cache is small, and a person reads the first screens only.
const LocalSearchMax = 500

// snippetRunes is the length of an offline result's snippet, about what
// the server's ts_headline fragment holds.
const snippetRunes = 160

// Search asks the server for a page of results (req.Cursor "" for the
// first). It fails with ErrOffline when there is no connection: the UI then
// runs SearchLocal and says the results come from this device only.
func (e *Engine) Search(ctx context.Context, req shared.SearchRequest) (shared.SearchResults, error) {
	e.mu.Lock()
	if req.ConversationID != "" {
		req.ConversationID = e.resolve(req.ConversationID)
	}
	e.mu.Unlock()
	env, err := e.request(ctx, shared.TypeSearch, req)
	if err != nil {
		return shared.SearchResults{}, err
	}
	var ack shared.Ack
	if err := decode(env, &ack); err != nil {
		return shared.SearchResults{}, err
	}
	if ack.Search == nil {
		return shared.SearchResults{Hits: []shared.SearchHit{}}, nil
	}
	return *ack.Search, nil
}

// SearchLocal searches what this device keeps (see Retention) with its
// offline index: the same words, filters and snippets as the server, over
// the cached messages only. Results come ranked by how often the words
// occur, newest first on ties, in pages as the server's (the cursor is an
// offset). Bad input fails with the server's error code.
func (e *Engine) SearchLocal(req shared.SearchRequest) (shared.SearchResults, error) {
	q, fe := shared.ParseSearch(req.Query)
	if fe != nil {
		return shared.SearchResults{}, &shared.Error{Code: fe.Code, Message: fe.Message, Field: fe.Field}
	}
	offset, err := strconv.Atoi(cmp.Or(req.Cursor, "0"))
	if err != nil || offset < 0 {
		return shared.SearchResults{}, &shared.Error{Code: shared.CodeSearchInvalid, Message: "This page of results is no longer valid; search again."}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = shared.SearchPageDefault
	}
	limit = min(limit, shared.SearchPageMax)

	e.readIndex(context.Background())
	e.mu.Lock()
	defer e.mu.Unlock()
	scope := ""
	if req.ConversationID != "" {
		scope = e.resolve(strings.ToLower(req.ConversationID))
	}
	type scored struct {
		hit  shared.SearchHit
		body string
		n    int
	}
	var all []scored
	now := e.cfg.Now()
convs:
	for id, c := range e.convs {
		if c.pending || (scope != "" && id != scope) || !e.inFilter(c, q.In) {
			continue
		}
		ix := e.index[id]
		kept := e.retention().keep(c.msgs, now)
		switch {
		case e.dirty.convs[id]:
			ix = buildIndex(kept) // changed since the last write: index what will be written
		case ix == nil:
			ix = buildIndex(kept) // none stored (a conversation made offline, an older version's cache)
			e.index[id] = ix
		}
		for _, seq := range ix.candidates(q) {
			i, ok := slices.BinarySearchFunc(kept, seq, func(m shared.Message, s int64) int { return cmp.Compare(m.Seq, s) })
			if !ok {
				continue
			}
			m := kept[i]
			if !indexable(m) || !localFilters(m, q) {
				continue
			}
			all = append(all, scored{hit: shared.SearchHit{ConversationID: id, Seq: m.Seq, SenderID: m.SenderID, Sender: m.Sender,
				CreatedAt: m.CreatedAt}, body: m.Body, n: occurrences(m.Body, q)})
			if len(all) >= LocalSearchMax {
				break convs
			}
		}
	}
	slices.SortFunc(all, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.n, a.n), b.hit.CreatedAt.Compare(a.hit.CreatedAt),
			cmp.Compare(b.hit.ConversationID, a.hit.ConversationID), cmp.Compare(b.hit.Seq, a.hit.Seq))
	})
	res := shared.SearchResults{Hits: []shared.SearchHit{}, Local: true}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		h := all[i].hit
		h.Rank = float32(all[i].n)
		h.Snippet = shared.Highlight(all[i].body, q, snippetRunes)
		res.Hits = append(res.Hits, h)
	}
	if offset+limit < len(all) {
		res.Next = strconv.Itoa(offset + limit)
	}
	return res, nil
}

// inFilter applies in: as the server does: a conversation id, a title, or
// for an untitled conversation another member's nickname. Callers hold e.mu.
func (e *Engine) inFilter(c *conv, in string) bool {
	switch {
	case in == "":
		return true
	case shared.IsUUID(in):
		return strings.EqualFold(c.c.ID, in)
	case c.c.Named:
		return strings.EqualFold(c.c.Title, in)
	}
	for _, m := range c.c.Members {
		if m.UserID != e.me.ID && strings.EqualFold(m.Nickname, in) {
			return true
		}
	}
	return false
}

// localFilters applies from:, before:, after: and has:link to a message.
func localFilters(m shared.Message, q shared.SearchQuery) bool {
	switch {
	case q.From != "" && !strings.EqualFold(m.Sender, q.From):
		return false
	case !q.Before.IsZero() && !m.CreatedAt.Before(q.Before):
		return false
	case !q.After.IsZero() && m.CreatedAt.Before(q.After):
		return false
	case q.HasLink && !shared.HasLink(m.Body):
		return false
	}
	return true
}

// occurrences counts the body's words that match q: the offline stand-in
// for ts_rank, which also grows with them.
func occurrences(body string, q shared.SearchQuery) int {
	n := 0
	for _, w := range shared.SearchWords(body) {
		for i, want := range q.Words {
			if w == want || (q.Prefix && i == len(q.Words)-1 && strings.HasPrefix(w, want)) {
				n++
				break
			}
		}
	}
	return n
}
