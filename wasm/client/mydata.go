package client

import (
	"context"

	"natter/shared"
)

// exportMax bounds the "Download my data" answer kept in memory: far above
// what years of messages take, and a limit a broken proxy cannot exceed.
const exportMax = 256 << 20

// ExportData asks for the signed-in person's data and returns the JSON
// file the server made, as is, for the browser to save.
func (a *API) ExportData(ctx context.Context) ([]byte, error) {
	return a.roundTrip(ctx, methodPost, shared.APIMeExport, struct{}{}, exportMax)
}

// DeleteAccount deletes the signed-in person's account for good, confirmed
// with their password. The server then closes this device's connection
// with session_revoked, like any other of theirs.
func (a *API) DeleteAccount(ctx context.Context, password string) error {
	return a.do(ctx, methodPost, shared.APIMeDelete, shared.AccountDelete{Password: password}, nil)
}
