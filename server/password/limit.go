package password

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// DefaultConcurrency is how many argon2id runs may hold memory at once when
// nobody says otherwise: twice the CPUs (a run is CPU-bound, so more would
// only queue inside the scheduler) but at least 2 and at most 16, which
// bounds argon2's memory at 16 × 19 MiB ≈ 300 MiB.
func DefaultConcurrency() int { return max(2, min(runtime.NumCPU()*2, 16)) }

var (
	semMu sync.Mutex
	sem   = make(chan struct{}, DefaultConcurrency())
)

// SetConcurrency sets how many hashes and checks may run at once, process
// wide; n <= 0 restores DefaultConcurrency. Runs already holding a slot
// finish under the old limit. Call it at start-up, before serving.
func SetConcurrency(n int) {
	if n <= 0 {
		n = DefaultConcurrency()
	}
	semMu.Lock()
	sem = make(chan struct{}, n)
	semMu.Unlock()
}

// Concurrency returns the current limit.
func Concurrency() int {
	semMu.Lock()
	defer semMu.Unlock()
	return cap(sem)
}

// acquire waits for a slot or for ctx to end, and returns the function that
// gives the slot back.
func acquire(ctx context.Context) (func(), error) {
	semMu.Lock()
	s := sem
	semMu.Unlock()
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	default:
	}
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

// Hold takes one slot as a hash would, until release is called, for work
// that should count against the same memory budget. Tests use it to fill
// every slot.
func Hold(ctx context.Context) (release func(), err error) { return acquire(ctx) }
