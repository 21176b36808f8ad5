package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"natter/shared"
)

// exportMax bounds the "Download my data" answer kept in memory: far above
// what years of messages take, and a limit a broken proxy cannot exceed.
const exportMax = 256 << 20

// ExportData asks for the signed-in person's data and returns the JSON
// file the server made, as is, for the browser to save.
func (a *API) ExportData(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Base+shared.APIMeExport, bytes.NewReader([]byte("{}")))
	if err != nil {
		return nil, fmt.Errorf("client: export: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("client: export: %w", ctx.Err())
		}
		return nil, fmt.Errorf("client: export: %w (%v)", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, exportMax))
	if err != nil {
		return nil, fmt.Errorf("client: export: %w (%v)", ErrUnreachable, err)
	}
	if resp.StatusCode >= 300 {
		return nil, responseError(resp.StatusCode, raw)
	}
	return raw, nil
}

// DeleteAccount deletes the signed-in person's account for good, confirmed
// with their password. The server then closes this device's connection
// with session_revoked, like any other of theirs.
func (a *API) DeleteAccount(ctx context.Context, password string) error {
	return a.do(ctx, http.MethodPost, shared.APIMeDelete, shared.AccountDelete{Password: password}, nil)
}
