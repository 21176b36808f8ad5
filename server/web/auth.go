package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"natter/server/password"
	"natter/shared"
)

// handleSignIn signs in with an email or nickname. Every attempt is
// counted by the sign-in throttle before the password is checked, so
// parallel guesses cannot outrun it (see signInThrottle). A wrong password,
// an unknown login and a disabled account all get the same 401 after the
// same argon2 work, so the answer tells neither which accounts exist nor
// that a guessed password was right.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req shared.SignInRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	login := strings.ToLower(strings.TrimSpace(req.Login))
	if login == "" || req.Password == "" {
		var errs []shared.FieldError
		if login == "" {
			errs = append(errs, shared.FieldError{Field: "login", Code: shared.CodeInvalid, Message: "Enter your email or nickname."})
		}
		if req.Password == "" {
			errs = append(errs, shared.FieldError{Field: "password", Code: shared.CodeInvalid, Message: "Enter your password."})
		}
		writeError(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	u, err := s.store.UserByLogin(r.Context(), login)
	found := err == nil
	if err != nil && !isNotFound(err) {
		s.internalError(w, "sign in", err)
		return
	}
	// Attempts are keyed by the account, whichever of its email or
	// nickname is typed; unknown logins by what was typed.
	account := "login:" + login
	hash := dummyHash()
	if found {
		account = "user:" + strconv.FormatInt(u.ID, 10)
		hash = u.PasswordHash
	}
	ticket, wait, ok, err := s.signIns.reserve(r.Context(), account, addrKey(clientAddr(r, s.cfg.TrustedProxies)))
	if err != nil {
		s.internalError(w, "sign in", err)
		return
	}
	if !ok {
		throttled(w, wait, "Too many failed sign-in attempts. Try again in %s.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.PasswordWait)
	defer cancel()
	good, err := password.CheckContext(ctx, hash, req.Password)
	if errors.Is(err, password.ErrBusy) {
		s.signIns.cancel(context.WithoutCancel(r.Context()), ticket)
		busy(w)
		return
	}
	if err != nil {
		s.internalError(w, "sign in", err)
		return
	}
	if !good || !found || u.Disabled() {
		writeError(w, http.StatusUnauthorized, shared.FieldError{Field: "password", Code: shared.CodeBadCredentials,
			Message: "That email or nickname and password do not match."})
		return
	}
	s.signIns.succeeded(r.Context(), ticket)
	if err := s.startSession(r.Context(), w, r, u.ID); err != nil {
		s.internalError(w, "start session", err)
		return
	}
	writeJSON(w, http.StatusOK, u.User)
}

// dummyHash is checked for unknown logins, to spend the same time as a real
// check so timing does not reveal whether the account exists.
var dummyHash = sync.OnceValue(func() string {
	h, err := password.Hash("natter-dummy-password")
	if err != nil {
		panic(err)
	}
	return h
})

// fieldError answers a validation failure from the store (a taken nickname
// or email) and reports whether it did.
func (s *Server) fieldError(w http.ResponseWriter, err error) bool {
	var fe *shared.FieldError
	if errors.As(err, &fe) {
		writeError(w, http.StatusConflict, *fe)
		return true
	}
	return false
}

func isNotFound(err error) bool {
	var se *shared.Error
	return errors.As(err, &se) && se.Code == shared.CodeUserNotFound
}

// handleSignOut ends this device's session, or all of the user's sessions,
// and disconnects their live connections at once.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	var req shared.SignOutRequest
	if r.ContentLength != 0 && !decodeJSON(w, r, &req) {
		return
	}
	rec, err := s.session(r)
	if err == nil {
		revoked := []int64{rec.ID}
		if req.All {
			ids, err := s.store.RevokeUserSessions(r.Context(), rec.UserID, 0)
			if err != nil {
				s.internalError(w, "revoke sessions", err)
				return
			}
			revoked = ids
		} else if err := s.store.RevokeSession(r.Context(), rec.ID); err != nil {
			s.internalError(w, "revoke session", err)
			return
		}
		s.disconnect(r.Context(), revoked, "You signed out.")
	}
	s.setCookie(w, "", time.Time{})
	w.WriteHeader(http.StatusNoContent)
}

// handleMe returns the signed-in user, with their email.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, rec.User.User)
}

// handleSearchUsers pages through people by nickname prefix, for the member
// picker. It needs a session and a non-empty prefix: the directory is for
// members only, and is searched, not listed.
func (s *Server) handleSearchUsers(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after := r.URL.Query().Get("after")
	if q == "" {
		// Listing everyone would hand the whole directory to any account.
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "q", Code: shared.CodeQueryRequired,
			Message: "Type at least one character of a nickname to search."})
		return
	}
	if len(q) > shared.NicknameMax || len(after) > shared.NicknameMax*4 {
		writeError(w, http.StatusBadRequest, shared.FieldError{Field: "q", Code: shared.CodeInvalid, Message: "The search text is too long."})
		return
	}
	users, next, err := s.store.SearchUsers(r.Context(), q, after, 20, rec.UserID)
	if err != nil {
		s.internalError(w, "search users", err)
		return
	}
	if users == nil {
		users = []shared.User{}
	}
	writeJSON(w, http.StatusOK, shared.UserPage{Users: users, Next: next})
}

// disconnect ends the live connections of revoked sessions, on every node
// when a broker is wired, telling each why.
func (s *Server) disconnect(ctx context.Context, sessionIDs []int64, reason string) {
	if len(sessionIDs) == 0 {
		return
	}
	if s.cfg.Revoked != nil {
		err := s.cfg.Revoked(ctx, sessionIDs, reason)
		if err == nil {
			return
		}
		s.log.Error("broadcast session revocation", "err", err)
	}
	for _, id := range sessionIDs {
		s.hub.DisconnectSession(id, errorEnvelope("", &shared.Error{Code: shared.CodeSessionRevoked, Message: reason, Fatal: true}))
	}
}
