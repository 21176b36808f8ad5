package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"natter/server/password"
	"natter/shared"
)

// handleRegister creates an account and signs this device in. Every field is
// checked before anything is written, and all problems come back at once so
// the form can show each next to its field.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req shared.RegisterRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	req.Email = shared.NormalizeEmail(req.Email)
	req.Nickname = strings.TrimSpace(req.Nickname)
	var errs []shared.FieldError
	for _, fe := range []*shared.FieldError{
		shared.ValidateEmail(req.Email),
		shared.ValidateNickname(req.Nickname),
		shared.ValidatePassword("password", req.Password),
	} {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	hash, err := password.Hash(req.Password)
	if err != nil {
		s.internalError(w, "hash password", err)
		return
	}
	u, err := s.store.CreateUser(r.Context(), req.Email, req.Nickname, hash)
	if s.fieldError(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, "create user", err)
		return
	}
	if err := s.startSession(r.Context(), w, r, u.ID); err != nil {
		s.internalError(w, "start session", err)
		return
	}
	s.log.Info("user registered", "user", u.ID, "nickname", u.Nickname)
	writeJSON(w, http.StatusCreated, u.User)
}

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

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handleSignIn signs in with an email or nickname. Failed attempts are
// throttled per IP and per account; the answer to a wrong password and to an
// unknown login is the same, so it does not tell which accounts exist.
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
	ip := clientIP(r)
	u, err := s.store.UserByLogin(r.Context(), login)
	found := err == nil
	if err != nil && !isNotFound(err) {
		s.internalError(w, "sign in", err)
		return
	}
	// Per-account failures are keyed by the account, whichever of its
	// email or nickname is typed; unknown logins by what was typed.
	account := "login:" + login
	if found {
		account = "user:" + strconv.FormatInt(u.ID, 10)
	}
	for _, t := range []struct {
		th  *throttle
		key string
	}{{s.ipFails, ip}, {s.userFails, account}} {
		if blocked, wait := t.th.blocked(t.key); blocked {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, shared.FieldError{Code: shared.CodeThrottled,
				Message: fmt.Sprintf("Too many failed sign-in attempts. Try again in %s.", humanSeconds(secs))})
			return
		}
	}
	ok := false
	if found {
		if ok, err = password.Check(u.PasswordHash, req.Password); err != nil {
			s.internalError(w, "sign in", err)
			return
		}
	} else {
		// Spend the same time as a real check so timing does not reveal
		// whether the account exists.
		_, _ = password.Check(dummyHash, req.Password)
	}
	if !ok {
		s.ipFails.fail(ip)
		s.userFails.fail(account)
		writeError(w, http.StatusUnauthorized, shared.FieldError{Field: "password", Code: shared.CodeBadCredentials,
			Message: "That email or nickname and password do not match."})
		return
	}
	if u.DisabledAt != nil {
		writeError(w, http.StatusForbidden, shared.FieldError{Code: shared.CodeAccountDisabled, Message: "This account is disabled. Contact the operator."})
		return
	}
	s.userFails.reset(account)
	if err := s.startSession(r.Context(), w, r, u.ID); err != nil {
		s.internalError(w, "start session", err)
		return
	}
	writeJSON(w, http.StatusOK, u.User)
}

var dummyHash, _ = password.Hash("natter-dummy-password")

func isNotFound(err error) bool {
	var se *shared.Error
	return errors.As(err, &se) && se.Code == shared.CodeUserNotFound
}

func humanSeconds(secs int) string {
	if secs < 60 {
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
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

// handleUpdateProfile changes nickname, email and password. Changing the
// email or the password needs the current password, so a borrowed unlocked
// device cannot take the account over.
func (s *Server) handleUpdateProfile(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	var req shared.ProfileUpdate
	if !decodeJSON(w, r, &req) {
		return
	}
	var errs []shared.FieldError
	var nickname, email, hash *string
	if n := strings.TrimSpace(req.Nickname); n != "" && n != rec.User.Nickname {
		if fe := shared.ValidateNickname(n); fe != nil {
			errs = append(errs, *fe)
		}
		nickname = &n
	}
	if e := shared.NormalizeEmail(req.Email); e != "" && !strings.EqualFold(e, rec.User.Email) {
		if fe := shared.ValidateEmail(e); fe != nil {
			errs = append(errs, *fe)
		}
		email = &e
	}
	if req.NewPassword != "" {
		if fe := shared.ValidatePassword("new_password", req.NewPassword); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if (email != nil || req.NewPassword != "") && len(errs) == 0 {
		good := false
		if req.CurrentPassword != "" {
			var err error
			if good, err = password.Check(rec.User.PasswordHash, req.CurrentPassword); err != nil {
				s.internalError(w, "check password", err)
				return
			}
		}
		if !good {
			msg := "Your current password is wrong."
			if req.CurrentPassword == "" {
				msg = "Enter your current password to change your email or password."
			}
			errs = append(errs, shared.FieldError{Field: "current_password", Code: shared.CodeWrongPassword, Message: msg})
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	if req.NewPassword != "" {
		h, err := password.Hash(req.NewPassword)
		if err != nil {
			s.internalError(w, "hash password", err)
			return
		}
		hash = &h
	}
	u, err := s.store.UpdateUser(r.Context(), rec.UserID, nickname, email, hash)
	if s.fieldError(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, "update user", err)
		return
	}
	if hash != nil {
		// A new password ends every other session: that is what people
		// expect when they change it because it leaked.
		ids, err := s.store.RevokeUserSessions(r.Context(), rec.UserID, rec.ID)
		if err != nil {
			s.internalError(w, "revoke sessions", err)
			return
		}
		s.disconnect(r.Context(), ids, "Your password was changed on another device.")
	}
	writeJSON(w, http.StatusOK, u.User)
}

// handleSearchUsers pages through people by nickname prefix, for the member
// picker. It needs a session: the directory is for members only.
func (s *Server) handleSearchUsers(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after := r.URL.Query().Get("after")
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
