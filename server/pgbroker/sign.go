package pgbroker

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Any role that can connect to the database can NOTIFY on Channel: NOTIFY
// needs no privilege. Without a check, such a role (another application on
// a shared PostgreSQL, or an SQL injection anywhere) could publish events to
// any user or disconnect anyone. So every payload carries an HMAC-SHA256
// under a key only the database owner can read (table server_keys), and
// listeners drop payloads without a valid one. A spilled event is covered
// through its reference: the signed notification carries the SHA-256 of the
// spill row, which is checked when the row is read.
//
// The MAC gives authenticity, not secrecy: a role that can LISTEN reads the
// payloads, and may replay one it saw. The embedded cluster has no such
// role; on a shared server, give Natter a database of its own.

// KeyName is the server_keys row holding the HMAC key. The first broker or
// Notify call that needs it creates it.
const KeyName = "pgbroker/hmac"

// keySize is the HMAC key's length in bytes (SHA-256's block is 64; 32 is
// its security level).
const keySize = 32

// sigRoom is what signing adds to a payload: the MAC in unpadded base64url
// (43 bytes) and a dot.
const sigRoom = 44

// errForged marks a payload or spilled event that failed the check.
var errForged = errors.New("pgbroker: forged or corrupted frame")

// signer signs and checks payloads with one key.
type signer struct{ key []byte }

// loadSigner reads the broker key, creating it when there is none. The
// INSERT waits for a concurrent insert of the same name to end and the
// SELECT, a new statement, then sees whichever won, so nodes starting
// together agree (as store.PutKeyIfAbsent; this package works on any
// bun.IDB, a transaction included, and does not depend on store).
func loadSigner(ctx context.Context, db bun.IDB) (signer, error) {
	var key []byte
	err := db.NewRaw(`SELECT value FROM server_keys WHERE name = ?`, KeyName).Scan(ctx, &key)
	if errors.Is(err, sql.ErrNoRows) {
		fresh := make([]byte, keySize)
		if _, err := rand.Read(fresh); err != nil {
			return signer{}, fmt.Errorf("pgbroker: make key: %w", err)
		}
		if _, err := db.NewRaw(`INSERT INTO server_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			KeyName, fresh).Exec(ctx); err != nil {
			return signer{}, fmt.Errorf("pgbroker: store key: %w", err)
		}
		err = db.NewRaw(`SELECT value FROM server_keys WHERE name = ?`, KeyName).Scan(ctx, &key)
	}
	if err != nil {
		return signer{}, fmt.Errorf("pgbroker: load key: %w", err)
	}
	if len(key) < keySize {
		return signer{}, fmt.Errorf("pgbroker: key %s has %d bytes, want %d", KeyName, len(key), keySize)
	}
	return signer{key: key}, nil
}

// mac returns the MAC of payload. The channel name is mixed in so a MAC
// made for something else under the same key never fits.
func (s signer) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(Channel))
	h.Write([]byte{0})
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// sign returns "<MAC>.<payload>".
func (s signer) sign(payload string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(payload)) + "." + payload
}

// open checks a signed payload and returns what was signed.
func (s signer) open(signed string) (string, bool) {
	sig, payload, ok := strings.Cut(signed, ".")
	if !ok || len(sig) != sigRoom-1 {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return "", false
	}
	return payload, true
}

// spillSum is the checksum of a spilled event that its signed reference
// carries.
func spillSum(payload []byte) string {
	sum := sha256.Sum256(payload)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
