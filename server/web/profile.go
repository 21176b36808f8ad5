package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"natter/server/password"
	"natter/server/store"
	"natter/shared"
)

// handleUpdateProfile changes nickname, email and password. Changing the
// email or the password needs the current password, so a borrowed unlocked
// device cannot take the account over; wrong current passwords count
// against the sign-in throttle, so that device cannot guess it either.
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
			var answered bool
			if good, answered = s.checkCurrentPassword(w, r, rec, req.CurrentPassword); answered {
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
	if email != nil {
		// A taken email is answered 409 here, which only an account holder
		// who knows their password can ask; rationing the asking keeps this
		// from becoming the email-existence oracle registration is not.
		wait, ok, err := s.emailChanges.allow(r.Context(), "user:"+strconv.FormatInt(rec.UserID, 10))
		if err != nil {
			s.internalError(w, "update profile", err)
			return
		}
		if !ok {
			throttled(w, wait, "You changed your email too often. Try again in %s.")
			return
		}
	}
	if req.NewPassword != "" {
		h, ok := s.hashPassword(w, r, req.NewPassword)
		if !ok {
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
	if nickname != nil {
		// The others see the new name live; the change itself is
		// committed, so a failure here costs only liveness (they get it
		// on their next resume) and is logged, not answered as an error.
		if err := s.chat.ProfileChanged(r.Context(), rec.UserID); err != nil {
			s.log.Warn("publish profile change", "user", rec.UserID, "err", err)
		}
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

// checkCurrentPassword checks a profile change's current password as a
// sign-in attempt on the account from this client address: counted first,
// refused with 429 past the limits. answered is true when it has already
// written the response (throttled, busy or failed).
func (s *Server) checkCurrentPassword(w http.ResponseWriter, r *http.Request, rec store.SessionRecord, pw string) (good, answered bool) {
	ticket, wait, ok, err := s.signIns.reserve(r.Context(), "user:"+strconv.FormatInt(rec.UserID, 10), addrKey(clientAddr(r, s.cfg.TrustedProxies)))
	if err != nil {
		s.internalError(w, "check password", err)
		return false, true
	}
	if !ok {
		throttled(w, wait, "Too many wrong passwords. Try again in %s.")
		return false, true
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.PasswordWait)
	defer cancel()
	good, err = password.CheckContext(ctx, rec.User.PasswordHash, pw)
	switch {
	case errors.Is(err, password.ErrBusy):
		s.signIns.cancel(context.WithoutCancel(r.Context()), ticket)
		busy(w)
		return false, true
	case err != nil:
		s.internalError(w, "check password", err)
		return false, true
	case good:
		s.signIns.succeeded(r.Context(), ticket)
	}
	return good, false
}
