package store

import (
	"context"
	"fmt"

	"natter/shared"
)

// HistoryAround returns up to limit messages of a conversation centred on
// seq, oldest first: the page a client opens when it jumps into the middle
// of a conversation. More says older messages exist, Newer that newer ones
// do. Only members may read it; a seq the conversation does not have is
// refused with CodeSeqOutOfRange, so a stale permalink says why it cannot
// open instead of showing an empty page.
//
// Like History it is one bounded range probe of the (conversation_id, seq)
// index, because seqs are gap-free: as cheap at seq 3 as at seq 3,000,000.
func (s *Store) HistoryAround(ctx context.Context, userID int64, convID string, seq int64, limit int) (shared.History, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.History{}, err
	}
	limit = historyLimit(limit)
	lastSeq, err := s.memberLastSeq(ctx, userID, convID)
	if err != nil {
		return shared.History{}, err // a domain error (not a member) as it is
	}
	if seq < 1 || seq > lastSeq {
		return shared.History{}, &shared.Error{Code: shared.CodeSeqOutOfRange, Field: "seq",
			Message: fmt.Sprintf("This conversation has no message %d; its messages are numbered 1 to %d.", seq, lastSeq)}
	}
	lo, hi := aroundRange(seq, lastSeq, int64(limit))
	h := shared.History{ConversationID: convID, More: lo > 1, Newer: hi < lastSeq}
	h.Messages, err = s.messageRange(ctx, convID, lo, hi)
	if err != nil {
		return shared.History{}, fmt.Errorf("store: history around: %w", err)
	}
	return h, nil
}

// aroundRange is the seq range [lo, hi] of at most limit seqs around seq
// within [1, last]: centred, and shifted inward at either end so a page
// near the start or the end is still full.
func aroundRange(seq, last, limit int64) (lo, hi int64) {
	lo = max(1, seq-limit/2)
	hi = min(last, lo+limit-1)
	lo = max(1, hi-limit+1)
	return lo, hi
}
