package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := Hash("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name, hash, pw string
		ok             bool
		err            error
	}{
		{"right", h, "correct horse battery", true, nil},
		{"wrong", h, "correct horse batterY", false, nil},
		{"empty hash", "", "x", false, ErrMalformedHash},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "x", false, ErrMalformedHash},
		{"huge memory", "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5", "x", false, ErrMalformedHash},
		{"bad base64", "$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5", "x", false, ErrMalformedHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := Check(tc.hash, tc.pw)
			if ok != tc.ok || !errors.Is(err, tc.err) {
				t.Fatalf("Check = %v, %v; want %v, %v", ok, err, tc.ok, tc.err)
			}
		})
	}
}

// TestConcurrencyCap fills every slot and checks that a caller with a
// deadline gives up with ErrBusy instead of running, and runs once a slot
// is free again.
func TestConcurrencyCap(t *testing.T) {
	SetConcurrency(2)
	t.Cleanup(func() { SetConcurrency(0) })
	if Concurrency() != 2 {
		t.Fatalf("concurrency %d", Concurrency())
	}
	h, _ := Hash("some password here")
	var held []func()
	for range 2 {
		r, err := acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := CheckContext(ctx, h, "some password here"); !errors.Is(err, ErrBusy) {
		t.Fatalf("check with every slot taken: %v, want ErrBusy", err)
	}
	if _, err := HashContext(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash with every slot taken: %v, want ErrBusy", err)
	}
	held[0]()
	if ok, err := CheckContext(context.Background(), h, "some password here"); !ok || err != nil {
		t.Fatalf("check with a free slot: %v %v", ok, err)
	}
	held[1]()
	SetConcurrency(0)
	if Concurrency() != DefaultConcurrency() || DefaultConcurrency() < 2 || DefaultConcurrency() > 16 {
		t.Fatalf("default concurrency %d", Concurrency())
	}
}
