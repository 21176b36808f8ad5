package resume

import (
	"errors"
	"testing"
	"time"
)

func TestKeyRing(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	kr := NewKeyRing(time.Hour)
	kr.now = func() time.Time { return now }
	oldID, _, err := kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	claims := Claims{UserID: 7, SessionID: 9, Device: "d", Cursors: map[string]int64{"c": 42}}
	tok, err := kr.Seal(claims)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("round trip", func(t *testing.T) {
		got, err := kr.Open(tok)
		if err != nil || got.UserID != 7 || got.SessionID != 9 || got.Cursors["c"] != 42 {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("every tampered byte is refused", func(t *testing.T) {
		for i := range tok {
			b := []byte(tok)
			b[i] ^= 0x01
			if _, err := kr.Open(string(b)); err == nil {
				// flipping a low bit of the last base64 char can be a no-op
				// on the decoded bytes; anything else must fail
				if i == len(tok)-1 {
					continue
				}
				t.Fatalf("byte %d tampered and accepted", i)
			}
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, s := range []string{"", "x", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			if _, err := kr.Open(s); !errors.Is(err, ErrTokenMalformed) {
				t.Fatalf("%q: %v", s, err)
			}
		}
	})
	t.Run("expired", func(t *testing.T) {
		now = now.Add(time.Hour + time.Second)
		defer func() { now = now.Add(-time.Hour - time.Second) }()
		if _, err := kr.Open(tok); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("old key after rotation, until retired", func(t *testing.T) {
		if _, _, err := kr.Rotate(); err != nil {
			t.Fatal(err)
		}
		if _, err := kr.Open(tok); err != nil {
			t.Fatalf("token under the previous key refused after rotation: %v", err)
		}
		fresh, err := kr.Seal(claims)
		if err != nil {
			t.Fatal(err)
		}
		kr.Retire(oldID)
		if _, err := kr.Open(tok); !errors.Is(err, ErrTokenRetired) {
			t.Fatalf("retired key: %v", err)
		}
		if _, err := kr.Open(fresh); err != nil {
			t.Fatalf("token under the new key refused: %v", err)
		}
	})
	t.Run("a key not on the ring", func(t *testing.T) {
		other := NewKeyRing(time.Hour)
		other.Rotate()
		other.Rotate()
		other.Rotate()
		foreign, _ := other.Seal(claims)
		if _, err := kr.Open(foreign); err == nil {
			t.Fatal("a token from another ring was accepted")
		}
	})
}
