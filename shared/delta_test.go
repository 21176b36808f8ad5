package shared_test

import (
	"slices"
	"testing"

	"natter/shared"
)

func TestMergeDelta(t *testing.T) {
	held := shared.Conversation{ID: "c", Title: "ann, bob, cid", Members: []shared.Member{
		{UserID: 1, Nickname: "ann", Owner: true}, {UserID: 2, Nickname: "bob"}, {UserID: 3, Nickname: "cid"},
	}, Preview: &shared.Message{Body: "hi"}}
	for _, c := range []struct {
		name  string
		delta shared.Conversation
		want  []int64
		owner int64
	}{
		{"added", shared.Conversation{ID: "c", Delta: true, Members: []shared.Member{{UserID: 4, Nickname: "dan"}}}, []int64{1, 2, 3, 4}, 1},
		{"removed", shared.Conversation{ID: "c", Delta: true, Members: []shared.Member{}, Removed: []int64{2}}, []int64{1, 3}, 1},
		{"owner moved", shared.Conversation{ID: "c", Delta: true, Members: []shared.Member{{UserID: 1, Nickname: "ann"}, {UserID: 3, Nickname: "cid", Owner: true}}}, []int64{1, 2, 3}, 3},
		{"renamed only", shared.Conversation{ID: "c", Title: "new", Named: true, Delta: true, Members: []shared.Member{}}, []int64{1, 2, 3}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := shared.MergeDelta(held, c.delta)
			var ids []int64
			for _, m := range got.Members {
				ids = append(ids, m.UserID)
			}
			if !slices.Equal(ids, c.want) || got.Owner() != c.owner || got.Delta || got.Removed != nil {
				t.Fatalf("members %v owner %d delta %v, want %v owner %d", ids, got.Owner(), got.Delta, c.want, c.owner)
			}
			if got.Preview == nil || got.Title != c.delta.Title {
				t.Fatalf("fields not taken from the delta or preview lost: %+v", got)
			}
		})
	}
	if len(held.Members) != 3 {
		t.Fatal("MergeDelta changed what was held")
	}
}
