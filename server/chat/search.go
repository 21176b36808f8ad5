package chat

import (
	"context"
	"fmt"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// searchMessages answers a search request with a page of results. Besides
// the read budget every request spends on arrival, a search spends the
// user's own search budget (Limits.SearchRate), shared by all their
// connections: it is the costliest read there is, and one user's loop of
// searches must not take the database from everyone else's messages.
// Authorization is in the store's statement.
func searchMessages(ctx context.Context, s *Service, a Actor, env shared.Envelope) (*shared.Ack, []hub.Event, error) {
	var req shared.SearchRequest
	if err := decode(env, &req); err != nil {
		return nil, nil, err
	}
	if a.budget != nil {
		if ok, wait := take(time.Now(), 1, a.budget.search); !ok {
			s.metrics.refused[classRead].Add(1)
			return nil, nil, &shared.Error{Code: shared.CodeRateLimited, RetryAfter: retryAfter(wait),
				Message: fmt.Sprintf("You are searching too fast; wait %s and search again.", humanWait(wait))}
		}
	}
	res, err := s.store.SearchMessages(ctx, a.UserID, req)
	if err != nil {
		return nil, nil, err
	}
	return &shared.Ack{Search: &res}, nil, nil
}
