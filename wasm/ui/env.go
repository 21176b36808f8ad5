package ui

import (
	"context"
	"sync/atomic"

	"natter/shared"
	"natter/wasm/client"
)

// Notification permission values, as the browser's Notification.permission
// reports them, plus "unsupported" for browsers without notifications.
const (
	PermissionDefault     = "default"
	PermissionGranted     = "granted"
	PermissionDenied      = "denied"
	PermissionUnsupported = "unsupported"
)

// Env is what the components need from outside: the sync engine, the account
// API and a few browser capabilities. main fills it once; every page shares
// it. Function fields may be nil, in which case the feature is hidden.
type Env struct {
	Engine *client.Engine
	API    *client.API

	// StorageWarning is set when durable storage could not be opened at all
	// and the engine runs in memory: the user must know that closing the tab
	// loses what is not sent yet.
	StorageWarning string

	// NotifyPermission reports the notification permission right now.
	NotifyPermission func() string
	// RequestNotifyPermission asks the user and blocks until they answer, so
	// the UI only calls it from a click and inside ctx.Async.
	RequestNotifyPermission func() string
	// Push subscribes and unsubscribes this device for Web Push
	// (pushdevices.go); nil where the browser cannot.
	Push *PushControl

	// AfterSignIn runs after this device signed in or registered, so the
	// engine can connect with the new session cookie.
	AfterSignIn func(shared.User)
	// SignOut ends this device's session (every session with all) and wipes
	// everything of the user from this device; main then loads the sign-in
	// page. An error means nothing was wiped and the user is still signed in.
	SignOut func(ctx context.Context, all bool) error
	// SessionGone runs when the account API answered 401 (or 403
	// account_disabled) although this device holds the user's data: the
	// session ended while the connection was down, so the data goes as on a
	// revocation. sessionEnded words the reason from the answer.
	SessionGone func(client.SignOut)
	// SignedOut is why the previous page signed the user out of this device,
	// for the sign-in page to say (zero Code: nothing to say).
	SignedOut client.SignOut

	// StorageEstimate reports the bytes this site stores on the device and
	// its quota (navigator.storage.estimate); it blocks, so call it inside
	// ctx.Async. Nil hides the estimate.
	StorageEstimate func() (usage, quota int64, err error)

	// OnScreenChange runs when the conversation on screen changes ("" for
	// none), so main can tell the user's other tabs what this one shows. It
	// runs on the UI goroutine, in order, and must not block.
	OnScreenChange func(convID string)

	onScreen atomic.Value // string: the conversation shown, "" for none
	user     shared.User  // who the server says is signed in, until the engine knows
}

// OnScreen returns the id of the conversation the user is looking at, or ""
// when no conversation page is shown. main's notification logic reads it
// from the engine's goroutine: a message to the conversation on screen in a
// visible tab needs no notification.
func (e *Env) OnScreen() string {
	s, _ := e.onScreen.Load().(string)
	return s
}

func (e *Env) setOnScreen(id string) {
	e.onScreen.Store(id)
	if e.OnScreenChange != nil {
		e.OnScreenChange(id)
	}
}

// notifyPermission is NotifyPermission with the nil case handled.
func (e *Env) notifyPermission() string {
	if e.NotifyPermission == nil {
		return PermissionUnsupported
	}
	return e.NotifyPermission()
}
