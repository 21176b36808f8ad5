//go:build js && wasm

package browser

import (
	"context"
	"syscall/js"

	"natter/wasm/client"
)

// Fetch sends the account API's requests through the browser's fetch. Go's
// net/http would do the same in the end (in the browser its transport is
// fetch too) but links its whole client, TLS and connection code into the
// wasm: about 5 MB of the app's size for nothing.
type Fetch struct{}

// Fetch makes one same-origin request with the session cookie and waits for
// its answer. Cancelling ctx aborts the request. The body is read whole and
// cut at r.Limit: the API's answers are small JSON, the export a few MB.
func (Fetch) Fetch(ctx context.Context, r client.Request) (client.Response, error) {
	headers := map[string]any{"Accept": "application/json"}
	init := map[string]any{
		"method":      r.Method,
		"credentials": "same-origin",
		"cache":       "no-store",
		"headers":     headers,
	}
	if r.Body != nil {
		headers["Content-Type"] = "application/json"
		init["body"] = string(r.Body)
	}
	abort := global.Get("AbortController").New()
	init["signal"] = abort.Get("signal")
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			abort.Call("abort")
		case <-done:
		}
	}()

	resp, err := await(global.Call("fetch", r.URL, init))
	if err != nil {
		return client.Response{}, err
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return client.Response{}, err
	}
	arr := global.Get("Uint8Array").New(buf)
	n := arr.Get("length").Int()
	if r.Limit > 0 && int64(n) > r.Limit {
		n = int(r.Limit)
		arr = arr.Call("subarray", 0, n)
	}
	body := make([]byte, n)
	js.CopyBytesToGo(body, arr)
	return client.Response{Status: resp.Get("status").Int(), Body: body}, nil
}
