//go:build js

package client

import (
	"context"
	"errors"
)

// API calls the account endpoints over HTTP. Accounts live on HTTP because
// only an HTTP response can set the HttpOnly session cookie. This is the
// browser build: requests go through Fetch, the browser's own fetch, which
// sends the same-origin session cookie itself.
type API struct {
	Base  string // scheme and host; "" means the page's own origin
	Fetch Fetcher

	signIns signIns
}

// Fetcher makes one HTTP request; wasm/browser.Fetch is the browser's.
// It returns an error only when no answer arrived (offline, refused,
// aborted); an error status is a Response like any other.
type Fetcher interface {
	Fetch(ctx context.Context, r Request) (Response, error)
}

// errNoFetcher is what an API without a Fetcher answers: a wiring mistake,
// reported like an unreachable server instead of a panic.
var errNoFetcher = errors.New("client: API has no Fetcher")

func (a *API) send(ctx context.Context, r Request) (Response, error) {
	if a.Fetch == nil {
		return Response{}, errNoFetcher
	}
	return a.Fetch.Fetch(ctx, r)
}
