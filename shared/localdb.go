package shared

// The browser keeps a device's data in one IndexedDB database. Its schema
// is here because two programs open it: the page's loader (served by
// server/web), which opens it while the wasm downloads and compiles, so a
// first visit does not wait for the browser to create the database after
// Go has started; and the app (wasm/browser), which takes that open
// database over, or opens it itself when the loader could not.
const (
	// LocalDBName is the database's name.
	LocalDBName = "natter"
	// LocalDBVersion is bumped whenever LocalDBStores gains a store, so the
	// upgrade creates it. 2: the offline search index ("words").
	LocalDBVersion = 2
)

// LocalDBStores are the database's object stores, one per bucket of the
// app's storage (wasm/client.Buckets, which a test keeps equal to this).
var LocalDBStores = []string{"meta", "convs", "messages", "outbox", "drafts", "redirects", "words"}
