package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"natter/shared"
)

// blockAPI serves APIBlocks: the signed-in user's list of blocked people.
// Every handler acts only for the session's user, whatever the request
// says, so nobody can block or unblock on someone else's behalf.
//
// Changes spend a per-user budget: blocking is cheap to ask for and each
// block is a row, so a script must not churn it. The budget is per user,
// not per connection or IP, so more tabs or addresses do not multiply it.
// Unlike the sign-in throttle it is per node: it guards one server from
// one person, and a person spread over nodes still meets it on each.
type blockAPI struct {
	s       *Server
	changes *userBudget
	reads   *userBudget
}

// Budgets of the block API: 30 changes a minute with a burst of 30, which
// nobody clicking "Block" ever meets, and a reading pace a reload loop
// cannot turn into a database load.
const (
	blockChangesPerMinute = 30
	blockReadsPerMinute   = 120
)

func newBlockAPI(s *Server) *blockAPI {
	return &blockAPI{
		s:       s,
		changes: newUserBudget(rate.Every(time.Minute/blockChangesPerMinute), blockChangesPerMinute),
		reads:   newUserBudget(rate.Every(time.Minute/blockReadsPerMinute), blockReadsPerMinute/4),
	}
}

// list answers GET APIBlocks with the people the user blocked, newest
// first.
func (b *blockAPI) list(w http.ResponseWriter, r *http.Request) {
	userID, ok := b.begin(w, r, b.reads)
	if !ok {
		return
	}
	bs, err := b.s.store.Blocks(r.Context(), userID)
	if err != nil {
		b.s.internalError(w, "list blocks", err)
		return
	}
	writeJSON(w, http.StatusOK, shared.BlockList{Blocks: bs})
}

// add answers POST APIBlocks {user_id}: it blocks the person and returns
// the block. Blocking someone already blocked returns the existing block,
// so a retried click is harmless. The body must be application/json: with
// the SameSite=Lax cookie that keeps a cross-site HTML form from posting it.
func (b *blockAPI) add(w http.ResponseWriter, r *http.Request) {
	userID, ok := b.begin(w, r, b.changes)
	if !ok {
		return
	}
	var req shared.BlockRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case req.UserID <= 0:
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "user_id", Code: shared.CodeInvalid,
			Message: "Say whom to block: user_id must be a person's id."})
		return
	case req.UserID == userID:
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "user_id", Code: shared.CodeInvalid,
			Message: "You cannot block yourself."})
		return
	}
	blk, err := b.s.store.BlockUser(r.Context(), userID, req.UserID)
	if b.domainError(w, err) {
		return
	}
	if err != nil {
		b.s.internalError(w, "block user", err)
		return
	}
	b.s.log.Info("user blocked someone", "user", userID, "blocked", req.UserID)
	writeJSON(w, http.StatusOK, blk)
}

// remove answers DELETE APIBlocks/{id}: it unblocks the person. Unblocking
// someone who is not blocked succeeds too, since the outcome holds. A DELETE
// has no body to type-check; browsers never send one cross-site without a
// CORS preflight, which this server never grants.
func (b *blockAPI) remove(w http.ResponseWriter, r *http.Request) {
	userID, ok := b.begin(w, r, b.changes)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, shared.FieldError{Code: shared.CodeMalformed,
			Message: "The address must end with the id of the person to unblock."})
		return
	}
	if _, err := b.s.store.UnblockUser(r.Context(), userID, id); err != nil {
		b.s.internalError(w, "unblock user", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// begin checks the session and spends one unit of the user's budget,
// answering 401 or 429 itself; it returns the session's user.
func (b *blockAPI) begin(w http.ResponseWriter, r *http.Request, budget *userBudget) (int64, bool) {
	rec, ok := b.s.requireSession(w, r)
	if !ok {
		return 0, false
	}
	if ok, wait := budget.take(rec.UserID); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, shared.FieldError{Code: shared.CodeRateLimited,
			Message: fmt.Sprintf("You are changing your blocked list too fast. Try again in %s.", humanSeconds(secs))})
		return 0, false
	}
	return rec.UserID, true
}

// domainError answers the store's refusals with their HTTP status and
// reports whether it did.
func (b *blockAPI) domainError(w http.ResponseWriter, err error) bool {
	var se *shared.Error
	if !errors.As(err, &se) {
		return false
	}
	status := http.StatusUnprocessableEntity
	switch se.Code {
	case shared.CodeUserNotFound:
		status = http.StatusNotFound
	case shared.CodeTooManyBlocks:
		status = http.StatusConflict
	}
	writeError(w, status, shared.FieldError{Field: "user_id", Code: se.Code, Message: se.Message})
	return true
}

// userBudget is a token bucket per user (golang.org/x/time/rate). Buckets
// that have refilled completely carry no information, so they are dropped
// when the map grows, which bounds memory by the users active lately.
type userBudget struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	now     func() time.Time
	buckets map[int64]*rate.Limiter
}

// maxBudgetBuckets is how many buckets a budget keeps before it sweeps the
// full ones.
const maxBudgetBuckets = 10_000

func newUserBudget(limit rate.Limit, burst int) *userBudget {
	return &userBudget{limit: limit, burst: burst, now: time.Now, buckets: map[int64]*rate.Limiter{}}
}

// take spends one token of userID's bucket; when it is empty it spends
// nothing and says how long until a token is back.
func (u *userBudget) take(userID int64) (bool, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	l, ok := u.buckets[userID]
	if !ok {
		if len(u.buckets) >= maxBudgetBuckets {
			for id, b := range u.buckets {
				if b.TokensAt(now) >= float64(u.burst) {
					delete(u.buckets, id)
				}
			}
		}
		l = rate.NewLimiter(u.limit, u.burst)
		u.buckets[userID] = l
	}
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
