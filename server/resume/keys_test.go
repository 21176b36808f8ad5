package resume_test

import (
	"context"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/resume"
	"natter/server/store"
)

// TestKeyRingRotatesAndRetiresOnSchedule: loading the ring a day later adds a
// key (old tokens still open), two more days later the first key is retired
// (its tokens are refused), and every load sees the same keys, as every node
// and every restart must.
func TestKeyRingRotatesAndRetiresOnSchedule(t *testing.T) {
	st := store.New(pgtest.MustDB(t))
	ctx := context.Background()
	day0 := time.Now()
	kr, err := resume.LoadKeyRing(ctx, st, day0)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := kr.Seal(resume.Claims{UserID: 1, SessionID: 2})
	if err != nil {
		t.Fatal(err)
	}
	other, err := resume.LoadKeyRing(ctx, st, day0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(tok); err != nil {
		t.Fatalf("another node cannot open the token: %v", err)
	}
	later, err := resume.LoadKeyRing(ctx, st, day0.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := st.Keys(ctx, "resume/")
	if len(recs) != 2 {
		t.Fatalf("after a day: %d keys, want 2", len(recs))
	}
	if _, err := later.Open(tok); err != nil {
		t.Fatalf("rotation refused a live token: %v", err)
	}
	retired, err := resume.LoadKeyRing(ctx, st, day0.Add(50*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := retired.Open(tok); err == nil {
		t.Fatal("a token under a retired key was accepted")
	}
}
