package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"natter/shared"
)

// delivery is one push to one device.
type delivery struct {
	sub     shared.PushSubscription
	topic   string
	payload []byte
}

// work sends deliveries until the planner stops.
func (p *Pusher) work() {
	defer p.wg.Done()
	for d := range p.deliveries {
		p.deliver(d)
	}
}

// deliver sends d, retrying network errors, 429 and 5xx answers with
// backoff. 404 and 410 mean the subscription is gone (the person turned
// notifications off in the browser, or it expired): it is deleted. Logs
// name the push service's host and the status, never the payload or the
// endpoint's path (the device's address at the push service).
func (p *Pusher) deliver(d delivery) {
	host := endpointHost(d.sub.Endpoint)
	wait := p.cfg.Backoff
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := p.send(d)
		switch {
		case err == nil && status >= 200 && status < 300:
			p.metrics.sent.Add(1)
			return
		case status == http.StatusNotFound || status == http.StatusGone:
			p.metrics.gone.Add(1)
			ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 10*time.Second)
			if err := p.st.DeletePushSubscription(ctx, d.sub.Endpoint); err != nil {
				p.log.Warn("push: delete gone subscription", "host", host, "err", err)
			}
			cancel()
			return
		}
		// 401 or 403 is the push service refusing our signature: after a
		// rotation this node may still sign with the old pair for a moment.
		// Read the pair again and try once more at once.
		resign := (status == http.StatusUnauthorized || status == http.StatusForbidden) && attempt == 0
		if resign {
			p.keys.forget()
		}
		retryable := err != nil && !errors.Is(err, errPrivate) && !errors.Is(err, errEncrypt) ||
			status == http.StatusTooManyRequests || status >= 500 || resign
		if !retryable || attempt >= p.cfg.Retries || p.ctx.Err() != nil {
			reason := "status"
			switch {
			case errors.Is(err, errPrivate):
				reason = "address"
			case errors.Is(err, errEncrypt):
				reason = "encrypt"
			case err != nil:
				reason = "network"
			}
			p.metrics.failed(reason)
			p.log.Warn("push: delivery failed", "host", host, "status", status, "reason", reason, "attempts", attempt+1, "err", redact(err))
			return
		}
		p.metrics.retries.Add(1)
		if resign {
			continue
		}
		if retryAfter > 0 {
			wait = min(retryAfter, time.Minute)
		}
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// redact drops the URL from an HTTP client's error (a *url.Error names
// the endpoint in full): its path is the device's address at the push
// service, which logs must not hold.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// errEncrypt marks a subscription whose keys cannot encrypt a payload:
// retrying does not help.
var errEncrypt = errors.New("push: cannot encrypt for this subscription")

// send makes one attempt and returns the push service's status and how
// long it asked to wait.
func (p *Pusher) send(d delivery) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	keys, err := p.keys.get(ctx)
	if err != nil {
		return 0, 0, err
	}
	sub := &webpush.Subscription{Endpoint: d.sub.Endpoint, Keys: webpush.Keys{Auth: d.sub.Keys.Auth, P256dh: d.sub.Keys.P256dh}}
	resp, err := webpush.SendNotificationWithContext(ctx, d.payload, sub, &webpush.Options{
		HTTPClient:      p.cfg.HTTPClient,
		Subscriber:      p.cfg.Subject,
		Topic:           d.topic,
		TTL:             int(p.cfg.TTL / time.Second),
		Urgency:         webpush.UrgencyHigh, // a person's message: deliver now, even to a phone saving power
		VAPIDPublicKey:  keys.Public,
		VAPIDPrivateKey: keys.Private,
		RecordSize:      recordSize,
	})
	if err != nil {
		var ue *url.Error
		if !errors.As(err, &ue) {
			return 0, 0, errors.Join(errEncrypt, err) // failed before any request
		}
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	var after time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		after = time.Duration(s) * time.Second
	}
	return resp.StatusCode, after, nil
}

// recordSize pads every payload to the same size, so the push service
// cannot tell a long message from a short one; 2 KiB is well within what
// every push service accepts (4 KiB) and above any payload we make.
const recordSize = 2048

// endpointHost is the push service's host, all a log needs.
func endpointHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "?"
	}
	return u.Host
}
