package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"natter/server/store"
)

// keyName is the VAPID key pair's row in server_keys.
const keyName = "vapid"

// keyTTL is how long a node trusts its copy of the key pair before reading
// it again, so a rotation reaches every running node within it.
const keyTTL = 30 * time.Second

// Keys is a VAPID key pair (RFC 8292): the private key signs every push
// request, the public key is the applicationServerKey browsers subscribe
// with. Both are base64url without padding, as webpush-go takes them.
type Keys struct {
	Private string `json:"private"`
	Public  string `json:"public"`
}

// LoadKeys returns the cluster's VAPID keys, making and storing them on
// first use. Nodes starting together each offer a pair and all end up with
// the same one (store.PutKeyIfAbsent), so any node can send any push.
func LoadKeys(ctx context.Context, st *store.Store) (Keys, error) {
	raw, err := st.Key(ctx, keyName)
	if errors.Is(err, store.ErrNoKey) {
		var k Keys
		k.Private, k.Public, err = webpush.GenerateVAPIDKeys()
		if err != nil {
			return Keys{}, fmt.Errorf("push: generate VAPID keys: %w", err)
		}
		b, _ := json.Marshal(k)
		raw, err = st.PutKeyIfAbsent(ctx, keyName, b)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("push: VAPID keys: %w", err)
	}
	var k Keys
	if err := json.Unmarshal(raw, &k); err != nil || k.Private == "" || k.Public == "" {
		return Keys{}, fmt.Errorf("push: the stored VAPID keys are unreadable")
	}
	return k, nil
}

// RotateKeys replaces the VAPID key pair and deletes every push
// subscription: a subscription is bound to the public key it was made
// with, and push services refuse pushes signed with another. Devices
// subscribe again with the new key the next time Natter opens on them
// (notification permission stays granted); until then they get no push.
// Running servers sign with the new pair within keyTTL, or as soon as a
// push service refuses the old signature. It returns how many
// subscriptions were deleted.
func RotateKeys(ctx context.Context, st *store.Store) (int64, error) {
	if err := st.DeleteKey(ctx, keyName); err != nil && !errors.Is(err, store.ErrNoKey) {
		return 0, fmt.Errorf("push: rotate: %w", err)
	}
	if _, err := LoadKeys(ctx, st); err != nil {
		return 0, err
	}
	n, err := st.DeleteAllPushSubscriptions(ctx)
	if err != nil {
		return 0, fmt.Errorf("push: rotate: %w", err)
	}
	return n, nil
}

// keyCache is a node's copy of the key pair, read again after keyTTL.
type keyCache struct {
	st   *store.Store
	mu   sync.Mutex
	keys Keys
	at   time.Time
}

// forget makes the next get read the pair again: a push service refused
// our signature, maybe because the keys were rotated meanwhile.
func (c *keyCache) forget() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

func (c *keyCache) get(ctx context.Context) (Keys, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys.Public != "" && time.Since(c.at) < keyTTL {
		return c.keys, nil
	}
	k, err := LoadKeys(ctx, c.st)
	if err != nil {
		if c.keys.Public != "" {
			return c.keys, nil // the database is away: the old pair still signs
		}
		return Keys{}, err
	}
	c.keys, c.at = k, time.Now()
	return k, nil
}
