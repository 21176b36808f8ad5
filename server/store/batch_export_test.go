package store

import (
	"context"

	"github.com/uptrace/bun"
)

// SendBatchInTx runs the group commit of reqs inside the caller's
// transaction and leaves it open, so a test can hold a send's locks while
// something else tries to delete what the send refers to.
func (s *Store) SendBatchInTx(ctx context.Context, tx bun.Tx, reqs []SendRequest) ([]SendResult, error) {
	items := make([]sendItem, len(reqs))
	for i, r := range reqs {
		it, err := s.prepareSend(i, r)
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	out, err := sendBatch(ctx, tx, items)
	if err != nil {
		return nil, err
	}
	res := make([]SendResult, len(reqs))
	for i := range res {
		res[i] = out[i]
	}
	return res, nil
}
