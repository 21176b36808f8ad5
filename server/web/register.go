package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"natter/server/password"
	"natter/server/store"
	"natter/shared"
)

func (c *Config) accountDefaults() {
	if c.RegisterLimit == 0 {
		c.RegisterLimit = 10
	}
	if c.RegisterWindow == 0 {
		c.RegisterWindow = time.Hour
	}
	if c.Signup == "" {
		c.Signup = shared.SignupOpen
	}
	if c.PasswordWait == 0 {
		c.PasswordWait = 5 * time.Second
	}
}

// emailChangesPerDay is how often one account may try to change its email:
// plenty for people, too few to test many addresses for existing accounts.
const emailChangesPerDay = 5

// registerAccepted is the one answer to every registration that passed
// validation; see handleRegister.
var registerAccepted = shared.RegisterAccepted{Message: "Registration received. Sign in with this email and password to continue."}

// handleSignupInfo tells the registration form whether to ask for an invite
// code, or that signing up is closed.
func (s *Server) handleSignupInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, shared.SignupInfo{Mode: s.cfg.Signup})
}

// handleRegister creates an account. Every field is checked first and all
// problems come back at once, so the form can show each next to its field;
// then the invite and the nickname are checked, all before the argon2 hash
// (19 MiB, tens of milliseconds) is spent, and the hash itself is rationed
// per client address.
//
// The answer never tells whether an account with the email exists: a taken
// email and a fresh one both get 202 with RegisterAccepted, after the same
// work (a hash, and one use of the invite in invite mode, or a second try
// with the same invite would tell). Neither signs the device in, because a
// session is exactly what a taken email cannot get: the client signs in
// next with the same email and password, which succeeds for a new account
// (and for an owner who re-registers with their own password). We cannot
// do better without sending mail: whoever registers a taken email with a
// password of their own will find the sign-in refused, so existence is
// still learnable, but only at the price of a rationed registration plus a
// throttled sign-in failure per probe, instead of one free request.
// Nicknames are public in the directory, so nickname_taken stays a plain
// 409 that the form can show.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Signup == shared.SignupClosed {
		writeError(w, http.StatusForbidden, shared.FieldError{Code: shared.CodeSignupClosed,
			Message: "This server does not take new accounts. Ask its operator for one."})
		return
	}
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
	invite := strings.TrimSpace(req.Invite)
	if s.cfg.Signup == shared.SignupInvite && invite == "" {
		errs = append(errs, shared.FieldError{Field: "invite", Code: shared.CodeInviteInvalid, Message: "Enter your invite code."})
	}
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	ctx := r.Context()
	var inviteHash []byte
	if s.cfg.Signup == shared.SignupInvite {
		inviteHash = store.InviteHash(invite)
		ok, err := s.store.InviteUsable(ctx, inviteHash)
		if err != nil {
			s.internalError(w, "check invite", err)
			return
		}
		if !ok {
			writeError(w, http.StatusUnprocessableEntity, *store.ErrInviteInvalid)
			return
		}
	}
	emailTaken, nickTaken, err := s.store.Taken(ctx, req.Email, req.Nickname)
	if err != nil {
		s.internalError(w, "check taken", err)
		return
	}
	if nickTaken {
		writeError(w, http.StatusConflict, nicknameTaken)
		return
	}
	wait, ok, err := s.registers.allow(ctx, addrKey(clientAddr(r, s.cfg.TrustedProxies)))
	if err != nil {
		s.internalError(w, "register", err)
		return
	}
	if !ok {
		throttled(w, wait, "Too many new accounts from your network. Try again in %s.")
		return
	}
	hash, ok := s.hashPassword(w, r, req.Password)
	if !ok {
		return
	}
	if !emailTaken {
		u, err := s.store.RegisterUser(ctx, req.Email, req.Nickname, hash, inviteHash)
		var fe *shared.FieldError
		switch {
		case err == nil:
			s.log.Info("user registered", "user", u.ID, "nickname", u.Nickname)
			writeJSON(w, http.StatusAccepted, registerAccepted)
			return
		case errors.As(err, &fe) && fe.Code == shared.CodeEmailTaken:
			// Taken by a concurrent registration: answer as for any
			// taken email, below.
		case errors.As(err, &fe):
			status := http.StatusUnprocessableEntity
			if fe.Code == shared.CodeNicknameTaken {
				status = http.StatusConflict
			}
			writeError(w, status, *fe)
			return
		default:
			s.internalError(w, "create user", err)
			return
		}
	}
	if inviteHash != nil {
		if err := s.store.ConsumeInvite(ctx, inviteHash); errors.Is(err, store.ErrInviteInvalid) {
			writeError(w, http.StatusUnprocessableEntity, *store.ErrInviteInvalid)
			return
		} else if err != nil {
			s.internalError(w, "consume invite", err)
			return
		}
	}
	writeJSON(w, http.StatusAccepted, registerAccepted)
}

var nicknameTaken = shared.FieldError{Field: "nickname", Code: shared.CodeNicknameTaken, Message: "This nickname is taken; try another one."}

// throttled answers 429 with Retry-After; format has one %s for the wait.
func throttled(w http.ResponseWriter, wait time.Duration, format string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, shared.FieldError{Code: shared.CodeThrottled,
		Message: fmt.Sprintf(format, humanSeconds(secs))})
}

// busy answers 503 when every argon2 slot stayed taken for PasswordWait.
// hashPassword hashes a new password within PasswordWait, answering the
// request itself (503 when every argon2 slot stayed busy, 500 on failure)
// when it cannot.
func (s *Server) hashPassword(w http.ResponseWriter, r *http.Request, pw string) (string, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.PasswordWait)
	defer cancel()
	hash, err := password.HashContext(ctx, pw)
	if errors.Is(err, password.ErrBusy) {
		busy(w)
		return "", false
	}
	if err != nil {
		s.internalError(w, "hash password", err)
		return "", false
	}
	return hash, true
}

func busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "2")
	writeError(w, http.StatusServiceUnavailable, shared.FieldError{Code: shared.CodeUnavailable,
		Message: "The server is busy checking other passwords. Try again in a few seconds."})
}

func humanSeconds(secs int) string {
	if secs < 60 {
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}
