package client

import (
	"context"
	"strconv"

	"natter/shared"
)

// Web Push on the account API: the server's key, this device's
// subscription, the person's devices. Each call is HTTP, so the UI runs
// them inside ctx.Async.

// PushKey returns the server's VAPID public key, the applicationServerKey
// to subscribe with.
func (a *API) PushKey(ctx context.Context) (string, error) {
	var k shared.PushKey
	err := a.do(ctx, methodGet, shared.APIVAPIDKey, nil, &k)
	return k.Key, err
}

// SubscribePush hands this device's subscription to the server, which ties
// it to the device's session.
func (a *API) SubscribePush(ctx context.Context, sub shared.PushSubscription) error {
	return a.do(ctx, methodPost, shared.APIPushSub, sub, nil)
}

// UnsubscribePush tells the server this device gave its subscription up.
func (a *API) UnsubscribePush(ctx context.Context, endpoint string) error {
	return a.do(ctx, methodDelete, shared.APIPushSub, shared.PushUnsubscribe{Endpoint: endpoint}, nil)
}

// PushDevices lists the person's devices with push on and whether they
// hide previews.
func (a *API) PushDevices(ctx context.Context) (shared.PushDevices, error) {
	var ds shared.PushDevices
	err := a.do(ctx, methodGet, shared.APIPushDevices, nil, &ds)
	return ds, err
}

// TurnOffPushDevice turns push off for one of the person's devices.
func (a *API) TurnOffPushDevice(ctx context.Context, id int64) error {
	return a.do(ctx, methodDelete, shared.APIPushDevices+"/"+strconv.FormatInt(id, 10), nil, nil)
}

// SetHidePreviews sets whether pushes say only "New message".
func (a *API) SetHidePreviews(ctx context.Context, hide bool) error {
	return a.do(ctx, methodPut, shared.APIPushSettings, shared.PushSettings{HidePreviews: hide}, nil)
}
