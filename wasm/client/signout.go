package client

import (
	"context"
	"errors"
	"fmt"

	"natter/shared"
)

// SignedOutHere is SignOut.Code when the user signed out on this device
// (this tab or another tab of this browser), as opposed to a session ended
// by the server.
const SignedOutHere = "signed_out"

// SignOut says why this device forgot the signed-in user, so the sign-in
// page can tell them.
type SignOut struct {
	// Code is SignedOutHere, shared.CodeSessionRevoked (signed out of all
	// devices elsewhere, password changed, revoked by the operator),
	// shared.CodeAccountDisabled or shared.CodeUnauthorized (the session
	// expired or vanished).
	Code string `json:"code"`
	// Message is the server's own words, when it gave any.
	Message string `json:"message,omitempty"`
	// All is set with SignedOutHere when the user signed out of every device.
	All bool `json:"all,omitempty"`
	// FromTab is set when another tab of this browser learned it first and
	// has told every tab already: the hook must not announce it again.
	FromTab bool `json:"-"`
}

// errSignedOut refuses anything typed after the wipe: it would be stored
// for a user who is no longer signed in on this device.
var errSignedOut = &shared.Error{Code: shared.CodeUnauthorized, Message: "You were signed out on this device; sign in again."}

// Clearer is Storage that can empty every bucket in one atomic step (one
// IndexedDB transaction over every object store). The wipe uses it when
// present, so no reader or writer in another tab ever sees half of the
// user's data gone; otherwise it deletes key by key.
type Clearer interface {
	Clear(ctx context.Context) error
}

// Unsent counts what signing out would delete from this device without it
// ever reaching the server, for the confirmation the UI asks first.
type Unsent struct {
	Actions int // outbox entries but read marks: messages and changes queued, sending or failed
	Drafts  int // non-empty drafts, the new-conversation form included
}

// Unsent returns what is queued and drafted on this device now.
func (e *Engine) Unsent() Unsent {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, t := range e.drafts {
		if t != "" {
			n++
		}
	}
	a := 0
	for _, x := range e.outbox {
		if x.Type != shared.TypeSeenMark { // a read mark is nothing the user made
			a++
		}
	}
	return Unsent{Actions: a, Drafts: n}
}

// SignOut ends the session on the server with revoke (API.SignOut) and then
// forgets everything of the user on this device, as Forget does. The server
// also disconnects this tab with session_revoked while revoke runs; that is
// taken for this sign-out, not reported as a revocation. When revoke fails
// and the session is still alive, nothing is wiped and the error is
// returned so the user can try again; a 401 means the session had already
// ended, which is as good as signed out.
func (e *Engine) SignOut(ctx context.Context, all bool, revoke func(context.Context) error) error {
	e.mu.Lock()
	if e.wiped {
		e.mu.Unlock()
		return nil
	}
	e.leaving = true
	e.mu.Unlock()
	if err := revoke(ctx); err != nil && !isUnauthorized(err) {
		e.mu.Lock()
		e.leaving = false
		gone := e.status.State == StateSignedOut
		e.mu.Unlock()
		if !gone {
			return err
		}
	}
	return e.Forget(SignOut{Code: SignedOutHere, All: all})
}

// Forget wipes everything this device holds for the user, in memory and in
// Storage (cache, drafts, outbox, redirects, the resume token), ends the
// connection for good and runs Config.OnSignedOut once with r. It is what
// happens on a revocation, on sign-out and when another tab reports one.
//
// It waits for any write in progress (an action being stored, a flush) and
// refuses every later one, so a revocation racing with a send leaves either
// the whole action wiped or nothing; there is no half state. A write by
// another tab that has not heard of it yet is wiped again when that tab
// does (it calls Forget too), and data left without its user by a tab that
// died in between is dropped at the next start (see load).
func (e *Engine) Forget(r SignOut) error { return e.wipe(r, true) }

// Reset forgets everything as Forget does but without running
// OnSignedOut: for a device where another account just signed in, whose
// predecessor's data must go before the page starts over.
func (e *Engine) Reset() error { return e.wipe(SignOut{Code: SignedOutHere}, false) }

func (e *Engine) wipe(r SignOut, notify bool) error {
	e.flushMu.Lock()
	e.mu.Lock()
	first := !e.wiped
	e.wiped, e.leaving, e.stopped = true, false, true
	if e.flushTimer != nil {
		e.flushTimer.Stop()
		e.flushTimer = nil
	}
	err := e.clearStorage()
	e.cfg.ResumeTokens.Set("")
	e.clearMemory()
	msg := r.Message
	if msg == "" && r.Code == SignedOutHere {
		msg = "You signed out."
	}
	e.status = Status{State: StateSignedOut, LastError: msg, Code: r.Code}
	if e.sess != nil {
		e.sess.cancel(errors.New("signed out"))
	}
	cancel := e.cancel
	e.touch()
	e.flushMu.Unlock()
	e.unlock()
	if cancel != nil {
		cancel() // the loop ends; never wait for it: Forget may run on it
	}
	if first && notify && e.cfg.OnSignedOut != nil {
		go e.cfg.OnSignedOut(r)
	}
	return err
}

// signedOut runs on the connection loop after the server ended the
// session: unless SignOut is doing it, everything of a user this device
// held is wiped. An engine that held nothing (the sign-in page's own engine
// is refused too) just waits for a sign-in.
func (e *Engine) signedOut() {
	e.mu.Lock()
	st := e.status
	do := st.State == StateSignedOut && !e.leaving && !e.wiped && e.holds()
	e.mu.Unlock()
	if !do {
		return
	}
	if err := e.Forget(SignOut{Code: st.Code, Message: st.LastError}); err != nil {
		e.log.Error("client: wipe after sign-out", "err", err)
	}
}

// SessionEnded is Forget for a session found gone outside the connection,
// by an HTTP 401 from the account API. It wipes only when this device holds
// something of a user, so an engine that never had one (the sign-in page's)
// is not sent round in circles.
func (e *Engine) SessionEnded(r SignOut) {
	e.mu.Lock()
	do := !e.wiped && !e.leaving && e.holds()
	e.mu.Unlock()
	if !do {
		return
	}
	if err := e.Forget(r); err != nil {
		e.log.Error("client: wipe after the session ended", "err", err)
	}
}

// holds reports whether anything of a user is held. Callers hold e.mu.
func (e *Engine) holds() bool {
	return e.me.ID != 0 || len(e.outbox) > 0 || len(e.drafts) > 0 || len(e.convs) > 0 || len(e.redirects) > 0
}

// clearStorage empties every bucket. Callers hold e.mu (and flushMu).
func (e *Engine) clearStorage() error {
	ctx := context.Background()
	if c, ok := e.cfg.Storage.(Clearer); ok {
		if err := c.Clear(ctx); err != nil {
			return fmt.Errorf("client: wipe: %w", err)
		}
		return nil
	}
	for _, b := range Buckets {
		kvs, err := e.cfg.Storage.List(ctx, b)
		if err != nil {
			return fmt.Errorf("client: wipe %s: %w", b, err)
		}
		for _, kv := range kvs {
			if err := e.cfg.Storage.Delete(ctx, b, kv.Key); err != nil {
				return fmt.Errorf("client: wipe %s: %w", b, err)
			}
		}
	}
	return nil
}

// clearMemory forgets the user's data held in memory. Callers hold e.mu.
func (e *Engine) clearMemory() {
	e.me = shared.User{}
	e.convs = map[string]*conv{}
	e.outbox = nil
	e.settled = map[string]bool{}
	e.drafts = map[string]string{}
	e.redirects = map[string]string{}
	e.index = map[string]*wordIndex{}
	e.indexRead = false
	e.mutes = nil
	e.dirty = newDirtySet()
	e.storageErr = ""
	for id, ch := range e.requests {
		ch <- reply{err: errSignedOut}
		delete(e.requests, id)
	}
}

// isUnauthorized reports an HTTP 401 from the account API: the session is
// already gone.
func isUnauthorized(err error) bool {
	var fe *FormError
	return errors.As(err, &fe) && (fe.Status == statusUnauthorized || fe.Has(shared.CodeUnauthorized))
}
