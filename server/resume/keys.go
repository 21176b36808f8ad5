package resume

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"natter/server/store"
)

// Resume-token key policy: tokens live a day, a new key seals from the day
// after, and a key is retired (its tokens refused) once no token it sealed
// can still be valid.
const (
	resumeTokenTTL = 24 * time.Hour
	resumeRotate   = 24 * time.Hour
	resumeRetire   = resumeRotate + resumeTokenTTL
	resumeKeyName  = "resume/"
)

// LoadKeyRing reads the resume-token keys from the database, adds a new key
// when the newest is older than a day and retires the ones past use. Every
// node reads the same ring, so a token sealed on one opens on another and
// after a restart.
func LoadKeyRing(ctx context.Context, st *store.Store, now time.Time) (*KeyRing, error) {
	recs, err := st.Keys(ctx, resumeKeyName)
	if err != nil {
		return nil, fmt.Errorf("resume: load key ring: %w", err)
	}
	sort.Slice(recs, func(i, j int) bool { return keyID(recs[i].Name) < keyID(recs[j].Name) })
	if len(recs) == 0 || now.Sub(recs[len(recs)-1].CreatedAt) > resumeRotate {
		next := uint32(1)
		if len(recs) > 0 {
			next = keyID(recs[len(recs)-1].Name) + 1
		}
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("resume: new resume key: %w", err)
		}
		name := fmt.Sprintf("%s%08d", resumeKeyName, next)
		stored, err := st.PutKeyIfAbsent(ctx, name, secret) // another node may have won
		if err != nil {
			return nil, fmt.Errorf("resume: store resume key: %w", err)
		}
		recs = append(recs, store.KeyRecord{Name: name, Value: stored, CreatedAt: now})
	}
	kr := NewKeyRing(resumeTokenTTL)
	for i, r := range recs {
		retired := r.RetiredAt != nil
		if !retired && i < len(recs)-1 && now.Sub(r.CreatedAt) > resumeRetire {
			if err := st.RetireKey(ctx, r.Name); err != nil {
				return nil, fmt.Errorf("resume: retire resume key: %w", err)
			}
			retired = true
		}
		if err := kr.Add(keyID(r.Name), r.Value, retired); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

func keyID(name string) uint32 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(name, resumeKeyName), 10, 32)
	return uint32(n)
}

// KeepKeyRingFresh reloads the ring every interval until ctx ends, so a
// long-running server rotates and retires keys on schedule like a restarted
// one, and picks up keys another node added.
func KeepKeyRingFresh(ctx context.Context, st *store.Store, kr *KeyRing, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fresh, err := LoadKeyRing(ctx, st, now)
			if err != nil {
				onErr(err)
				continue
			}
			kr.replace(fresh)
		}
	}
}
