package resume

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Claims is the connection state the server seals into a resume token
// and gets back from the client after a refresh, a network drop or a restart
// (on any node), without having stored it.
type Claims struct {
	UserID    int64            `json:"u"`
	SessionID int64            `json:"s"`
	Device    string           `json:"d,omitempty"`
	Cursors   map[string]int64 `json:"c,omitempty"`
	Viewing   string           `json:"v,omitempty"`
	Expires   int64            `json:"e"` // unix seconds
}

// KeyRing seals resume tokens with AES-256-GCM under the newest key and opens
// them under any key not yet retired, so a rotation does not log anyone out
// while a retirement does cut off tokens sealed under the old key. The key id
// travels in the clear in front of the nonce; the key itself never leaves the
// server.
type KeyRing struct {
	mu   sync.RWMutex
	keys []ringKey // oldest first
	ttl  time.Duration
	now  func() time.Time
}

type ringKey struct {
	id      uint32
	aead    cipher.AEAD
	secret  []byte
	retired bool
}

// Token errors, each with a message the client can show in logs.
var (
	ErrTokenMalformed = errors.New("the resume token is malformed or was tampered with")
	ErrTokenExpired   = errors.New("the resume token has expired")
	ErrTokenRetired   = errors.New("the resume token was sealed under a retired key")
)

// NewKeyRing returns an empty ring whose tokens live for ttl.
func NewKeyRing(ttl time.Duration) *KeyRing {
	return &KeyRing{ttl: ttl, now: time.Now}
}

// Add puts a key on the ring; the newest added seals. Secrets are 32 bytes.
func (k *KeyRing) Add(id uint32, secret []byte, retired bool) error {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return fmt.Errorf("resume: key ring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("resume: key ring: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = append(k.keys, ringKey{id: id, aead: aead, secret: secret, retired: retired})
	return nil
}

// Rotate adds a fresh random key that seals from now on and returns its id
// and secret so the caller can persist it.
func (k *KeyRing) Rotate() (uint32, []byte, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return 0, nil, fmt.Errorf("resume: key ring: %w", err)
	}
	k.mu.RLock()
	var id uint32 = 1
	if n := len(k.keys); n > 0 {
		id = k.keys[n-1].id + 1
	}
	k.mu.RUnlock()
	return id, secret, k.Add(id, secret, false)
}

// Retire stops accepting tokens sealed under key id.
func (k *KeyRing) Retire(id uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range k.keys {
		if k.keys[i].id == id {
			k.keys[i].retired = true
		}
	}
}

// Seal encrypts and authenticates claims; Expires is set from the ring's TTL.
func (k *KeyRing) Seal(c Claims) (string, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.keys) == 0 || k.keys[len(k.keys)-1].retired {
		return "", errors.New("resume: key ring has no active key")
	}
	key := k.keys[len(k.keys)-1]
	c.Expires = k.now().Add(k.ttl).Unix()
	plain, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("resume: seal: %w", err)
	}
	out := make([]byte, 4, 4+key.aead.NonceSize()+len(plain)+key.aead.Overhead())
	binary.BigEndian.PutUint32(out, key.id)
	nonce := make([]byte, key.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("resume: seal: %w", err)
	}
	out = append(out, nonce...)
	out = key.aead.Seal(out, nonce, plain, out[:4]) // the key id is authenticated too
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Open checks and decrypts a token.
func (k *KeyRing) Open(token string) (Claims, error) {
	var c Claims
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 4+12+16 {
		return c, ErrTokenMalformed
	}
	id := binary.BigEndian.Uint32(raw)
	k.mu.RLock()
	var key *ringKey
	for i := range k.keys {
		if k.keys[i].id == id {
			key = &k.keys[i]
		}
	}
	k.mu.RUnlock()
	if key == nil {
		return c, ErrTokenMalformed
	}
	if key.retired {
		return c, ErrTokenRetired
	}
	ns := key.aead.NonceSize()
	plain, err := key.aead.Open(nil, raw[4:4+ns], raw[4+ns:], raw[:4])
	if err != nil || json.Unmarshal(plain, &c) != nil {
		return Claims{}, ErrTokenMalformed
	}
	if k.now().Unix() >= c.Expires {
		return Claims{}, ErrTokenExpired
	}
	return c, nil
}

// replace takes over another ring's keys, in place, so holders of k see them.
func (k *KeyRing) replace(other *KeyRing) {
	other.mu.RLock()
	keys := append([]ringKey(nil), other.keys...)
	other.mu.RUnlock()
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
}
