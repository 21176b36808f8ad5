package web

import (
	"mime"
	"net/http"

	"natter/shared"
)

// crossOrigin refuses state-changing requests a browser sends on behalf of
// another site: it trusts Sec-Fetch-Site (every browser since 2023) and
// falls back to comparing Origin with Host. Safe methods (GET, HEAD,
// OPTIONS) and requests with neither header (curl, the CLI, tests) pass.
// The zero value has no trusted origins, which is what Natter wants: the
// app is only ever served from its own origin.
var crossOrigin http.CrossOriginProtection

// hsts tells browsers to use HTTPS only for two years, subdomains included;
// it is sent only when the server is configured for TLS (secure cookies).
const hsts = "max-age=63072000; includeSubDomains"

// guard answers and returns false for a request no handler should see:
//   - a cross-origin state-changing request (403), on every route, API or
//     not, so a forged POST /api/signout with no body is refused too;
//   - a state-changing request whose body is not JSON (415): an HTML form
//     can only send urlencoded, multipart or text bodies, so this shuts
//     out cross-site forms even in browsers without Sec-Fetch-Site.
//
// The WebSocket upgrade is a GET and checks Origin itself.
func (s *Server) guard(w http.ResponseWriter, r *http.Request) bool {
	if err := crossOrigin.Check(r); err != nil {
		writeError(w, http.StatusForbidden, shared.FieldError{Code: shared.CodeCrossOrigin,
			Message: "This request came from another site and was refused."})
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if r.ContentLength != 0 {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, shared.FieldError{Code: shared.CodeMalformed,
				Message: "Send the request as application/json."})
			return false
		}
	}
	return true
}
