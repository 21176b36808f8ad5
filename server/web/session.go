package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"natter/server/store"
	"natter/shared"
)

// newSessionToken returns 256 random bits, URL-safe encoded, and the SHA-256
// that is all the database ever sees of it: a stolen database dump cannot be
// replayed as cookies.
func newSessionToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("web: session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, sum[:], nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// startSession creates a session for the user and sets its cookie.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int64) error {
	token, hash, err := newSessionToken()
	if err != nil {
		return err
	}
	exp := time.Now().Add(s.cfg.SessionTTL)
	if _, err := s.store.CreateSession(ctx, userID, hash, truncate(r.UserAgent(), 300), exp); err != nil {
		return err
	}
	s.setCookie(w, token, exp)
	return nil
}

// cookieName is the session cookie's name: with secure cookies the
// __Host- prefixed one, which browsers only accept Secure, host-only and
// for path /, so no other subdomain can set or shadow it.
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return shared.SecureSessionCookie
	}
	return shared.SessionCookie
}

func (s *Server) setCookie(w http.ResponseWriter, token string, exp time.Time) {
	c := &http.Cookie{
		Name:     s.cookieName(),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.cfg.SecureCookies,
	}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.Expires = exp
		c.MaxAge = int(time.Until(exp).Seconds())
	}
	http.SetCookie(w, c)
}

var errNoSession = errors.New("web: no session")

// errDisabled is a live session of a disabled account: no session either,
// but the device is told why, so it can say so when it wipes itself.
var errDisabled = fmt.Errorf("%w: the account is disabled", errNoSession)

// session returns the live session of the request's cookie. Revoked and
// expired sessions and disabled users all read as no session.
func (s *Server) session(r *http.Request) (store.SessionRecord, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return store.SessionRecord{}, errNoSession
	}
	rec, err := s.store.SessionByTokenHash(r.Context(), hashToken(c.Value))
	if err != nil {
		var se *shared.Error
		if errors.As(err, &se) || errors.Is(err, store.ErrNoSession) {
			if off, err := s.store.SessionOfDisabledUser(r.Context(), hashToken(c.Value)); err == nil && off {
				return store.SessionRecord{}, errDisabled
			}
			return store.SessionRecord{}, errNoSession
		}
		return store.SessionRecord{}, err
	}
	// Slide the expiry at most once an hour, so an active user stays signed
	// in without a write on every request.
	if time.Since(rec.LastSeenAt) > time.Hour {
		exp := time.Now().Add(s.cfg.SessionTTL)
		if err := s.store.TouchSession(r.Context(), rec.ID, exp); err == nil {
			rec.ExpiresAt = exp
		}
	}
	return rec, nil
}

// requireSession answers 401 itself when there is no session.
func (s *Server) requireSession(w http.ResponseWriter, r *http.Request) (store.SessionRecord, bool) {
	rec, err := s.session(r)
	switch {
	case errors.Is(err, errDisabled):
		writeError(w, http.StatusForbidden, shared.FieldError{Code: shared.CodeAccountDisabled, Message: "This account has been disabled. Contact the operator."})
		return rec, false
	case errors.Is(err, errNoSession):
		writeError(w, http.StatusUnauthorized, shared.FieldError{Code: shared.CodeUnauthorized, Message: "You are not signed in."})
		return rec, false
	case err != nil:
		s.internalError(w, "session lookup", err)
		return rec, false
	}
	return rec, true
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error("internal error", "what", what, "err", err)
	writeError(w, http.StatusInternalServerError, shared.FieldError{Code: shared.CodeInternal, Message: "Something went wrong on our side. Please try again."})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
