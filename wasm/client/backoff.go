package client

import "time"

// Reconnect back-off: exponential with full jitter, so a restarted server
// is not hit by every client at the same instant.
const (
	BackoffBase = 500 * time.Millisecond
	BackoffMax  = 30 * time.Second
)

// backoff returns the wait before attempt n (1 for the first retry):
// uniformly random in [0, min(BackoffMax, BackoffBase*2^(n-1))). r is a
// sample in [0,1).
func backoff(n int, r float64) time.Duration {
	ceil := BackoffMax
	if n < 1 {
		n = 1
	}
	if n <= 16 {
		if c := BackoffBase << (n - 1); c < ceil {
			ceil = c
		}
	}
	return time.Duration(r * float64(ceil))
}
