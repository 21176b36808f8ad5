package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"natter/shared"
)

const maxJSONBody = 16 << 10

// decodeJSON reads a small JSON request body into v. It insists on the JSON
// content type, which a cross-site form cannot send without a CORS preflight:
// together with the SameSite=Lax cookie that shuts out cross-site requests.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, shared.FieldError{Code: shared.CodeMalformed, Message: "Send the request as application/json."})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "The request body is not valid JSON for this endpoint."
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			msg = "The request body is too large."
		}
		writeError(w, http.StatusBadRequest, shared.FieldError{Code: shared.CodeMalformed, Message: msg})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, errs ...shared.FieldError) {
	writeJSON(w, status, shared.ErrorResponse{Errors: errs})
}
