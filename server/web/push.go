package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"natter/server/push"
	"natter/server/store"
	"natter/shared"
)

// pushAPI serves Web Push subscriptions: the VAPID public key, subscribing
// and unsubscribing this device, the person's list of devices with push on
// and "hide previews". Every handler acts only for the session's user and,
// for subscribing, binds the subscription to the session (so revoking the
// session deletes it). Changes spend a per-user budget counted in the
// database (addrLimiter), so it holds for the cluster; reads spend one per
// node, like the block API's, as each is one indexed query. Nobody
// subscribing by hand ever meets them; a script does.
type pushAPI struct {
	s       *Server
	p       *push.Pusher
	changes *addrLimiter
	reads   *userBudget
}

// Budgets of the push API, per user: changes for the cluster, reads per
// node.
const (
	pushChangesPerMinute = 20
	pushReadsPerMinute   = 120
)

func newPushAPI(s *Server, p *push.Pusher) *pushAPI {
	return &pushAPI{s: s, p: p,
		changes: newAddrLimiter(s.store, "push", pushChangesPerMinute, time.Minute),
		reads:   newUserBudget(rate.Every(time.Minute/pushReadsPerMinute), pushReadsPerMinute/4),
	}
}

func (a *pushAPI) routes(m *http.ServeMux) {
	m.HandleFunc("GET "+shared.APIVAPIDKey, a.key)
	m.HandleFunc("POST "+shared.APIPushSub, a.subscribe)
	m.HandleFunc("DELETE "+shared.APIPushSub, a.unsubscribe)
	m.HandleFunc("GET "+shared.APIPushDevices, a.devices)
	m.HandleFunc("DELETE "+shared.APIPushDevices+"/{id}", a.turnOff)
	m.HandleFunc("PUT "+shared.APIPushSettings, a.settings)
}

// begin checks the session and a read's budget, answering 401, 403, 429 or
// 503 itself.
func (a *pushAPI) begin(w http.ResponseWriter, r *http.Request, budget *userBudget) (userID, sessionID int64, ok bool) {
	return a.start(w, r, func(userID int64) (bool, time.Duration, error) {
		ok, wait := budget.take(userID)
		return ok, wait, nil
	})
}

// change is begin for a change: its budget is the cluster's.
func (a *pushAPI) change(w http.ResponseWriter, r *http.Request) (userID, sessionID int64, ok bool) {
	return a.start(w, r, func(userID int64) (bool, time.Duration, error) {
		wait, ok, err := a.changes.allow(r.Context(), strconv.FormatInt(userID, 10))
		return ok, wait, err
	})
}

func (a *pushAPI) start(w http.ResponseWriter, r *http.Request, take func(userID int64) (bool, time.Duration, error)) (userID, sessionID int64, ok bool) {
	rec, ok := a.s.requireSession(w, r)
	if !ok {
		return 0, 0, false
	}
	ok, wait, err := take(rec.UserID)
	if err != nil {
		a.s.internalError(w, "push budget", err)
		return 0, 0, false
	}
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, shared.FieldError{Code: shared.CodeRateLimited,
			Message: fmt.Sprintf("Too many notification settings changes. Try again in %s.", humanSeconds(secs))})
		return 0, 0, false
	}
	if a.p == nil {
		writeError(w, http.StatusServiceUnavailable, shared.FieldError{Code: shared.CodeUnavailable,
			Message: "Push notifications are not enabled on this server."})
		return 0, 0, false
	}
	return rec.UserID, rec.ID, true
}

// key answers GET APIVAPIDKey with the applicationServerKey.
func (a *pushAPI) key(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.begin(w, r, a.reads); !ok {
		return
	}
	k, err := a.p.PublicKey(r.Context())
	if err != nil {
		a.s.internalError(w, "vapid key", err)
		return
	}
	writeJSON(w, http.StatusOK, shared.PushKey{Key: k})
}

// subscribe answers POST APIPushSub with this device's subscription
// (PushSubscription.toJSON plus a device label). The endpoint must be an
// https URL on a public host (no SSRF through a crafted one).
func (a *pushAPI) subscribe(w http.ResponseWriter, r *http.Request) {
	userID, sessionID, ok := a.change(w, r)
	if !ok {
		return
	}
	var sub shared.PushSubscription
	if !decodeJSON(w, r, &sub) {
		return
	}
	err := a.p.CheckEndpoint(sub.Endpoint)
	if err == nil {
		err = a.s.store.SavePushSubscription(r.Context(), userID, sessionID, sub)
	}
	if errors.Is(err, store.ErrNoSession) { // signed out meanwhile
		writeError(w, http.StatusUnauthorized, shared.FieldError{Code: shared.CodeUnauthorized, Message: "You are not signed in."})
		return
	}
	if a.refused(w, err) {
		return
	}
	if err != nil {
		a.s.internalError(w, "save push subscription", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// unsubscribe answers DELETE APIPushSub {endpoint}: this device gives its
// subscription up (turning notifications off, signing out). Only the
// user's own subscription can go.
func (a *pushAPI) unsubscribe(w http.ResponseWriter, r *http.Request) {
	userID, _, ok := a.change(w, r)
	if !ok {
		return
	}
	var req shared.PushUnsubscribe
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Endpoint == "" {
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "endpoint", Code: shared.CodeInvalid,
			Message: "Say which subscription to remove: endpoint is empty."})
		return
	}
	if err := a.s.store.DeleteUserPushSubscription(r.Context(), userID, req.Endpoint); err != nil {
		a.s.internalError(w, "delete push subscription", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// devices answers GET APIPushDevices with the person's devices with push
// on and their "hide previews" choice.
func (a *pushAPI) devices(w http.ResponseWriter, r *http.Request) {
	userID, sessionID, ok := a.begin(w, r, a.reads)
	if !ok {
		return
	}
	ds, err := a.s.store.PushDevices(r.Context(), userID, sessionID)
	if err != nil {
		a.s.internalError(w, "push devices", err)
		return
	}
	writeJSON(w, http.StatusOK, ds)
}

// turnOff answers DELETE APIPushDevices/{id}: push off for one of the
// person's devices. Someone else's id is "not found", like a missing one.
func (a *pushAPI) turnOff(w http.ResponseWriter, r *http.Request) {
	userID, _, ok := a.change(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, shared.FieldError{Code: shared.CodeMalformed,
			Message: "The address must end with the id of the device to turn notifications off for."})
		return
	}
	gone, err := a.s.store.DeletePushDevice(r.Context(), userID, id)
	if err != nil {
		a.s.internalError(w, "turn push off", err)
		return
	}
	if !gone {
		writeError(w, http.StatusNotFound, shared.FieldError{Code: "not_found",
			Message: "No such device with notifications on."})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// settings answers PUT APIPushSettings {hide_previews}.
func (a *pushAPI) settings(w http.ResponseWriter, r *http.Request) {
	userID, _, ok := a.change(w, r)
	if !ok {
		return
	}
	var req shared.PushSettings
	if !decodeJSON(w, r, &req) {
		return
	}
	if err := a.s.store.SetHidePreviews(r.Context(), userID, req.HidePreviews); err != nil {
		a.s.internalError(w, "hide previews", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// refused answers a validation failure with 422 and reports whether it did.
func (a *pushAPI) refused(w http.ResponseWriter, err error) bool {
	var se *shared.Error
	if !errors.As(err, &se) {
		return false
	}
	writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: se.Field, Code: se.Code, Message: se.Message})
	return true
}

// Push returns the Web Push sender, nil when push is off: for tests and
// tools.
func (s *Server) Push() *push.Pusher { return s.push }
