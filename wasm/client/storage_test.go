package client_test

import (
	"slices"
	"testing"

	"natter/shared"
	"natter/wasm/client"
)

// TestBucketsAreTheLocalDBStores: the page's loader creates the device's
// database from shared.LocalDBStores before the app starts; a bucket it
// does not know would have no object store, and every write to it fail.
func TestBucketsAreTheLocalDBStores(t *testing.T) {
	if !slices.Equal(client.Buckets, shared.LocalDBStores) {
		t.Fatalf("client.Buckets %v, shared.LocalDBStores %v: add the bucket to both and bump shared.LocalDBVersion", client.Buckets, shared.LocalDBStores)
	}
}
