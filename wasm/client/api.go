package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"natter/shared"
)

// The API type itself is declared per platform: api_js.go sends through the
// browser's fetch (a Fetcher from wasm/browser), api_native.go through
// net/http for the tests. Linking net/http's client into the wasm would cost
// about 5 MB raw and 1 MB brotli (its connection and TLS code) for requests
// the browser makes anyway, so nothing here may import net/http.

// HTTP methods and statuses used below, spelled out so that this file does
// not import net/http (see above).
const (
	methodGet    = "GET"
	methodPost   = "POST"
	methodPatch  = "PATCH"
	methodDelete = "DELETE"
	methodPut    = "PUT"

	statusUnauthorized       = 401
	statusTooManyRequests    = 429
	statusBadGateway         = 502
	statusServiceUnavailable = 503
	statusGatewayTimeout     = 504
)

// Request is one API request as the platform's sender sees it.
type Request struct {
	Method string
	URL    string
	Body   []byte // JSON, or nil for none
	Limit  int64  // read at most this many bytes of the answer
}

// Response is a completed API request: its status and at most Limit bytes
// of its body.
type Response struct {
	Status int
	Body   []byte
}

// FormError is a refused form: one entry per problem, most naming their form
// field, so the UI shows each message next to its field.
type FormError struct {
	Status int
	Errors []shared.FieldError
}

func (e *FormError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		msgs = append(msgs, fe.Error())
	}
	return "client: " + strings.Join(msgs, "; ")
}

// For returns the message for field, or "" when that field is fine. For("")
// returns the first message that names no field (shown above the form).
func (e *FormError) For(field string) string {
	if e == nil {
		return ""
	}
	for _, fe := range e.Errors {
		if fe.Field == field {
			return fe.Message
		}
	}
	return ""
}

// Has reports whether any error carries code.
func (e *FormError) Has(code string) bool {
	if e == nil {
		return false
	}
	for _, fe := range e.Errors {
		if fe.Code == code {
			return true
		}
	}
	return false
}

// ErrUnreachable wraps every failure to reach the server at all, so the UI
// can say "can't reach the server" instead of blaming the form.
var ErrUnreachable = errors.New("can't reach the server; check your connection and try again")

// Register creates an account and signs this device in. The server's
// answer to a registration does not say whether the email had an account
// already (see shared.RegisterAccepted), so signing in with the same email
// and password is what tells: it fails when someone else owns the email.
func (a *API) Register(ctx context.Context, req shared.RegisterRequest) (shared.User, error) {
	if err := a.do(ctx, methodPost, shared.APIRegister, req, nil); err != nil {
		return shared.User{}, err
	}
	u, err := a.SignIn(ctx, shared.SignInRequest{Login: req.Email, Password: req.Password})
	var fe *FormError
	if errors.As(err, &fe) && fe.Has(shared.CodeBadCredentials) {
		return u, &FormError{Status: fe.Status, Errors: []shared.FieldError{{Field: "email", Code: shared.CodeBadCredentials,
			Message: "Could not sign in with this email and password. If you already have an account, sign in with its password instead."}}}
	}
	return u, err
}

// SignupMode returns who may register on the server: shared.SignupOpen,
// SignupInvite or SignupClosed.
func (a *API) SignupMode(ctx context.Context) (string, error) {
	var info shared.SignupInfo
	err := a.do(ctx, methodGet, shared.APISignup, nil, &info)
	return info.Mode, err
}

// SignIn signs this device in with an email or nickname and a password.
func (a *API) SignIn(ctx context.Context, req shared.SignInRequest) (shared.User, error) {
	var u shared.User
	err := a.do(ctx, methodPost, shared.APISignIn, req, &u)
	if err == nil {
		a.signIns.n.Add(1)
	}
	return u, err
}

// signIns counts the sign-ins made through an API. A request sent before a
// sign-in carried the cookie of the moment; when it comes back 401 after
// the sign-in, the 401 is about that old cookie, not the new session, and
// taking it for the new session's end would wipe the device of the person
// who just signed in. roundTrip asks again instead.
type signIns struct{ n atomic.Uint64 }

// SignOut ends this device's session, or every session of the user with all.
func (a *API) SignOut(ctx context.Context, all bool) error {
	return a.do(ctx, methodPost, shared.APISignOut, shared.SignOutRequest{All: all}, nil)
}

// Me returns the signed-in user; a *FormError with CodeUnauthorized when the
// device is not signed in.
func (a *API) Me(ctx context.Context) (shared.User, error) {
	var u shared.User
	err := a.do(ctx, methodGet, shared.APIMe, nil, &u)
	return u, err
}

// UpdateProfile changes nickname, email or password (PATCH on APIMe).
func (a *API) UpdateProfile(ctx context.Context, p shared.ProfileUpdate) (shared.User, error) {
	var u shared.User
	err := a.do(ctx, methodPatch, shared.APIMe, p, &u)
	return u, err
}

// SearchUsers returns one page of users whose nickname starts with q; pass
// the page's Next as after for the following page.
func (a *API) SearchUsers(ctx context.Context, q, after string) (shared.UserPage, error) {
	v := url.Values{}
	v.Set("q", q)
	if after != "" {
		v.Set("after", after)
	}
	var p shared.UserPage
	err := a.do(ctx, methodGet, shared.APIUsers+"?"+v.Encode(), nil, &p)
	return p, err
}

func (a *API) do(ctx context.Context, method, path string, in, out any) error {
	raw, err := a.roundTrip(ctx, method, path, in, 1<<20)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("client: decode %s: %w", path, err)
	}
	return nil
}

// roundTrip sends in (JSON, when not nil) and returns the body of a
// successful answer, read up to limit bytes; an error answer comes back as
// the FormError it holds.
func (a *API) roundTrip(ctx context.Context, method, path string, in any, limit int64) ([]byte, error) {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("client: encode %s: %w", path, err)
		}
		body = b
	}
	before := a.signIns.n.Load()
	resp, err := a.send(ctx, Request{Method: method, URL: a.Base + path, Body: body, Limit: limit})
	if err == nil && resp.Status == statusUnauthorized && a.signIns.n.Load() != before {
		// Asked before a sign-in, answered after it: ask again with the
		// new session's cookie (a 401 changed nothing on the server).
		resp, err = a.send(ctx, Request{Method: method, URL: a.Base + path, Body: body, Limit: limit})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("client: %s %s: %w", method, path, ctx.Err())
		}
		return nil, fmt.Errorf("client: %s %s: %w (%v)", method, path, ErrUnreachable, err)
	}
	if resp.Status >= 300 {
		return nil, responseError(resp.Status, resp.Body)
	}
	return resp.Body, nil
}

// responseError turns a failed response into a *FormError, inventing a
// field-less message when the body is not an ErrorResponse (a proxy's page).
func responseError(status int, raw []byte) error {
	var er shared.ErrorResponse
	if json.Unmarshal(raw, &er) == nil && len(er.Errors) > 0 {
		return &FormError{Status: status, Errors: er.Errors}
	}
	fe := shared.FieldError{Code: shared.CodeInternal, Message: fmt.Sprintf("The server answered %d. Try again later.", status)}
	switch {
	case status == statusUnauthorized:
		fe = shared.FieldError{Code: shared.CodeUnauthorized, Message: "You are not signed in."}
	case status == statusTooManyRequests:
		fe = shared.FieldError{Code: shared.CodeThrottled, Message: "Too many attempts. Wait a moment and try again."}
	case status == statusBadGateway || status == statusServiceUnavailable || status == statusGatewayTimeout:
		fe = shared.FieldError{Code: shared.CodeUnavailable, Message: ErrUnreachable.Error()}
	}
	return &FormError{Status: status, Errors: []shared.FieldError{fe}}
}
