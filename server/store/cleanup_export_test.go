package store

// WithAfterLock returns p with a hook that Cleanup calls while it holds the
// cleanup lock, before deleting anything, so a test can hold a run open and
// start another one against it without sleeping.
func WithAfterLock(p CleanupPolicy, f func()) CleanupPolicy {
	p.afterLock = f
	return p
}
