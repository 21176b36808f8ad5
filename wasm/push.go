//go:build js && wasm

package main

import (
	"context"
	"sync/atomic"
	"time"

	"natter/wasm/browser"
	"natter/wasm/client"
	"natter/wasm/ui"
)

// Web Push and the badge, wired to the browser: the UI's PushControl, the
// subscription kept in step with the server at start, and the app icon's
// unread badge.

// pushControl builds the UI's handle on this device's push subscription,
// or nil where the browser has no Push API.
func pushControl(api *client.API) *ui.PushControl {
	if !browser.PushSupported() {
		return nil
	}
	return &ui.PushControl{
		Enable: func() (string, error) {
			perm := browser.Permission()
			if perm == ui.PermissionDefault {
				perm = browser.RequestPermission()
			}
			if perm != ui.PermissionGranted {
				return perm, nil
			}
			browser.SetPushOffByChoice(false)
			return perm, subscribePush(api)
		},
		DisableHere: func() error {
			browser.SetPushOffByChoice(true)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if endpoint := browser.PushUnsubscribe(); endpoint != "" {
				return api.UnsubscribePush(ctx, endpoint)
			}
			return nil
		},
	}
}

// subscribePush subscribes this device with the server's key and hands
// the subscription over; the server ties it to this device's session.
func subscribePush(api *client.API) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := api.PushKey(ctx)
	if err != nil {
		return err
	}
	sub, err := browser.PushSubscribe(key)
	if err != nil {
		return err
	}
	if pushEnded.Load() {
		// The session ended while this subscribed (a sign-out right after
		// the page loaded): take it back, the server would refuse it.
		browser.PushUnsubscribe()
		return nil
	}
	sub.Device = browser.DeviceLabel()
	return api.SubscribePush(ctx, sub)
}

// keepPushInStep subscribes this device again when notifications are
// allowed and the person did not turn push off here: after the operator
// rotated the keys (the old subscription is useless), after a sign-in on a
// browser that had allowed notifications, or when the server forgot it.
// Saving an unchanged subscription again is harmless.
func keepPushInStep(api *client.API) {
	if !browser.PushSupported() || browser.Permission() != ui.PermissionGranted || browser.PushOffByChoice() {
		return
	}
	go func() { _ = subscribePush(api) }() // failures show when the person looks at the profile
}

// watchPush keeps push in step once per page, when the engine first
// connects for a known user: the session is good then, so the server will
// take the subscription.
func watchPush(engine *client.Engine, api *client.API) {
	var done atomic.Bool
	engine.Subscribe(func() {
		st := engine.State()
		if st.Me.ID != 0 && st.Status.State == client.StateConnected && done.CompareAndSwap(false, true) {
			keepPushInStep(api)
		}
	})
}

// pushEnded is set once the session ended on this page: a subscription
// still being made is taken back (see subscribePush).
var pushEnded atomic.Bool

// dropPush unsubscribes this device in the browser when the session ended
// (signed out, revoked, account disabled): the server deleted the
// subscription with the session already. It waits at most a moment, as the
// page is about to load the sign-in page.
func dropPush() {
	pushEnded.Store(true)
	if !browser.PushSupported() {
		return
	}
	done := make(chan struct{})
	go func() {
		browser.PushUnsubscribe()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

// watchBadge keeps the app icon's badge at the unread total of the
// conversations not muted, as the tab title shows it; it clears as the
// person reads, on every device, since reading moves the read cursor
// everywhere.
func watchBadge(engine *client.Engine) {
	last := -1
	engine.Subscribe(func() {
		st := engine.State()
		if st.Me.ID == 0 {
			return
		}
		n := int(ui.BadgeCount(st.Conversations))
		if n != last {
			last = n
			browser.SetBadge(n)
		}
	})
}
