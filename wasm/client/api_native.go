//go:build !js

package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// API calls the account endpoints over HTTP. Accounts live on HTTP because
// only an HTTP response can set the HttpOnly session cookie. This is the
// native build, used by the tests against a real server: it sends with
// net/http, whose client needs a cookie jar to keep the session.
type API struct {
	Base string // scheme and host, e.g. "http://127.0.0.1:8080"
	HTTP *http.Client

	signIns signIns
}

// send makes one request with net/http.
func (a *API) send(ctx context.Context, r Request) (Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", "application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, r.Limit))
	if err != nil {
		return Response{}, err
	}
	return Response{Status: resp.StatusCode, Body: raw}, nil
}
