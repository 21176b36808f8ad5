package store_test

import (
	"slices"
	"testing"
)

func TestMentionedMembers(t *testing.T) {
	s := MustStore(t)
	ann, bob, cat, dan := MustUser(t, s, "ann"), MustUser(t, s, "bob"), MustUser(t, s, "Cat"), MustUser(t, s, "dan")
	MustUser(t, s, "eve") // not a member
	conv := MustConv(t, s, ann.ID, "Plans", bob.ID, cat.ID, dan.ID)
	if _, err := s.BlockUser(ctx, dan.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		nicks []string
		want  []int64
	}{
		{"none", nil, nil},
		{"one member", []string{"bob"}, []int64{bob.ID}},
		{"case folded", []string{"cat"}, []int64{cat.ID}},
		{"not the sender", []string{"ann", "bob"}, []int64{bob.ID}},
		{"not someone who blocked the sender", []string{"dan"}, nil},
		{"not a non-member", []string{"eve"}, nil},
		{"several", []string{"cat", "bob", "nobody"}, []int64{bob.ID, cat.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.MentionedMembers(ctx, conv.ID, ann.ID, tc.nicks)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}
