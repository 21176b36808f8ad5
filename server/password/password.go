// Package password hashes and checks passwords with argon2id. Every hash and
// every check goes through one process-wide semaphore: each argon2id run
// holds 19 MiB for tens of milliseconds, so without a cap a burst of
// sign-ins or registrations could take the whole machine's memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes, one
// lane). They are stored in every hash, so raising them later only affects
// new hashes and old ones keep verifying.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// ErrBusy is returned when the context ended while the call waited for a
// free argon2 slot: the server is busy and the caller should answer "try
// again in a moment" rather than queue without bound.
var ErrBusy = errors.New("password: too many password checks in progress")

// ErrMalformedHash is returned by Check for a hash it cannot parse.
var ErrMalformedHash = errors.New("password: malformed password hash")

// Hash returns an argon2id hash in the PHC string format. It waits for a
// slot as long as it takes; request handlers use HashContext.
func Hash(password string) (string, error) {
	return HashContext(context.Background(), password)
}

// HashContext is Hash that gives up with ErrBusy when ctx ends before a
// slot is free. Once running, the hash always completes.
func HashContext(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	release, err := acquire(ctx)
	if err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	release()
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Check reports whether password matches the PHC-formatted hash, in
// constant time with respect to the key. It waits for a slot as long as it
// takes; request handlers use CheckContext.
func Check(hash, password string) (bool, error) {
	return CheckContext(context.Background(), hash, password)
}

// CheckContext is Check that gives up with ErrBusy when ctx ends before a
// slot is free.
func CheckContext(ctx context.Context, hash, password string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	release, err := acquire(ctx)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), p.salt, p.iter, p.mem, p.threads, uint32(len(p.key)))
	release()
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

// params is a parsed PHC string.
type params struct {
	mem, iter uint32
	threads   uint8
	salt, key []byte
}

// maxMemory refuses hashes that would make one check allocate more than
// 256 MiB: the semaphore is sized for our own parameters.
const maxMemory = 256 * 1024

func parse(hash string) (params, error) {
	var p params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.mem, &p.iter, &p.threads); err != nil ||
		p.mem == 0 || p.mem > maxMemory || p.iter == 0 || p.threads == 0 {
		return p, ErrMalformedHash
	}
	enc := base64.RawStdEncoding
	var err error
	if p.salt, err = enc.DecodeString(parts[4]); err != nil {
		return p, ErrMalformedHash
	}
	if p.key, err = enc.DecodeString(parts[5]); err != nil || len(p.key) == 0 {
		return p, ErrMalformedHash
	}
	return p, nil
}
