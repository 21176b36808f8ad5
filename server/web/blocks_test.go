package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// rawRequest sends body with the given content type, for the cases the
// JSON helpers cannot make.
func rawRequest(t *testing.T, srv *webtest.Server, method, path string, h http.Header, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// blockedNames lists the nicknames a session's user has blocked.
func blockedNames(t *testing.T, srv *webtest.Server, h http.Header) []string {
	t.Helper()
	var list shared.BlockList
	if res := srv.MustDo(t, http.MethodGet, shared.APIBlocks, h, nil, &list); res.StatusCode != http.StatusOK {
		t.Fatalf("list blocks: status %d", res.StatusCode)
	}
	names := []string{}
	for _, b := range list.Blocks {
		names = append(names, b.Nickname)
	}
	return names
}

func TestBlocksAPI(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	_, hc := srv.MustSignUp(t, "cat")

	for _, tc := range []struct {
		name   string
		method string
		path   string
		header http.Header
		body   any
		status int
		code   string
	}{
		{"list without a session", http.MethodGet, shared.APIBlocks, nil, nil, 401, shared.CodeUnauthorized},
		{"block without a session", http.MethodPost, shared.APIBlocks, nil, shared.BlockRequest{UserID: bob.ID}, 401, shared.CodeUnauthorized},
		{"unblock without a session", http.MethodDelete, shared.BlockPath(bob.ID), nil, nil, 401, shared.CodeUnauthorized},
		{"block yourself", http.MethodPost, shared.APIBlocks, ha, shared.BlockRequest{UserID: ann.ID}, 422, shared.CodeInvalid},
		{"block nobody", http.MethodPost, shared.APIBlocks, ha, shared.BlockRequest{}, 422, shared.CodeInvalid},
		{"block an unknown person", http.MethodPost, shared.APIBlocks, ha, shared.BlockRequest{UserID: 424242}, 404, shared.CodeUserNotFound},
		{"block with unknown fields", http.MethodPost, shared.APIBlocks, ha, map[string]any{"user_id": bob.ID, "as": bob.ID}, 400, shared.CodeMalformed},
		{"unblock a malformed id", http.MethodDelete, shared.APIBlocks + "/bob", ha, nil, 400, shared.CodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var er shared.ErrorResponse
			res := srv.MustDo(t, tc.method, tc.path, tc.header, tc.body, &er)
			if res.StatusCode != tc.status || len(er.Errors) != 1 || er.Errors[0].Code != tc.code || er.Errors[0].Message == "" {
				t.Fatalf("status %d %+v, want %d %s with a message", res.StatusCode, er, tc.status, tc.code)
			}
		})
	}
	t.Run("block needs a JSON body", func(t *testing.T) {
		body := fmt.Sprintf(`{"user_id":%d}`, bob.ID)
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			if res := rawRequest(t, srv, http.MethodPost, shared.APIBlocks, ha, ct, body); res.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("content type %q: status %d, want 415", ct, res.StatusCode)
			}
		}
		if got := blockedNames(t, srv, ha); len(got) != 0 {
			t.Fatalf("a refused request blocked %v", got)
		}
	})

	var first, again shared.Block
	srv.MustPost(t, shared.APIBlocks, ha, shared.BlockRequest{UserID: bob.ID}, &first)
	res := srv.MustPost(t, shared.APIBlocks, ha, shared.BlockRequest{UserID: bob.ID}, &again)
	if res.StatusCode != http.StatusOK || first.Nickname != bob.Nickname || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("blocking twice: %d %+v then %+v", res.StatusCode, first, again)
	}
	if got := blockedNames(t, srv, ha); len(got) != 1 || got[0] != bob.Nickname {
		t.Fatalf("ann's blocks = %v", got)
	}

	t.Run("others act only for themselves", func(t *testing.T) {
		if got := blockedNames(t, srv, hc); len(got) != 0 {
			t.Fatalf("cat sees blocks %v", got)
		}
		// cat "unblocks bob": that is about cat's list, not ann's.
		if res := srv.MustDo(t, http.MethodDelete, shared.BlockPath(bob.ID), hc, nil, nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("cat's unblock: status %d", res.StatusCode)
		}
		if got := blockedNames(t, srv, ha); len(got) != 1 {
			t.Fatalf("cat's unblock changed ann's blocks to %v", got)
		}
		if got := blockedNames(t, srv, hb); len(got) != 0 {
			t.Fatalf("bob sees blocks %v", got)
		}
	})

	for range 2 { // unblocking is idempotent
		if res := srv.MustDo(t, http.MethodDelete, shared.BlockPath(bob.ID), ha, nil, nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("unblock: status %d", res.StatusCode)
		}
	}
	if got := blockedNames(t, srv, ha); len(got) != 0 {
		t.Fatalf("after unblock: %v", got)
	}
}

// TestBlocksFlood checks that one user's flood of changes is refused with
// 429 and Retry-After while another user's changes go through.
func TestBlocksFlood(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	cat, _ := srv.MustSignUp(t, "cat")

	refused := 0
	var last *http.Response
	var er shared.ErrorResponse
	for i := range 40 {
		path, method, in := shared.APIBlocks, http.MethodPost, any(shared.BlockRequest{UserID: bob.ID})
		if i%2 == 1 {
			path, method, in = shared.BlockPath(bob.ID), http.MethodDelete, nil
		}
		res := srv.MustDo(t, method, path, ha, in, &er)
		switch {
		case res.StatusCode == http.StatusTooManyRequests:
			refused++
			last = res
		case i < 30 && res.StatusCode >= 300:
			t.Fatalf("change %d within the budget: status %d", i, res.StatusCode)
		}
	}
	// The bucket refills one change every two seconds, so only a very slow
	// machine lets more than a few of the last ten through.
	if refused < 5 {
		t.Fatalf("%d of 40 changes refused, want most of the 10 past the budget of 30", refused)
	}
	if secs, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	if len(er.Errors) != 1 || er.Errors[0].Code != shared.CodeRateLimited || !strings.Contains(er.Errors[0].Message, "Try again in") {
		t.Fatalf("429 body %+v", er)
	}
	var blk shared.Block
	if res := srv.MustPost(t, shared.APIBlocks, hb, shared.BlockRequest{UserID: cat.ID}, &blk); res.StatusCode != http.StatusOK {
		t.Fatalf("bob's block during ann's flood: status %d", res.StatusCode)
	}
}

// TestBlockedOverWebSocket runs the actions a blocked person would try, on
// the real WebSocket path.
func TestBlockedOverWebSocket(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "ann")
	bob, hb := srv.MustSignUp(t, "bob")
	cat, _ := srv.MustSignUp(t, "cat")
	if res := srv.MustPost(t, shared.APIBlocks, hb, shared.BlockRequest{UserID: ann.ID}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("bob blocks ann: status %d", res.StatusCode)
	}
	wa := srv.MustConnect(t, ha, nil)

	e := wa.MustError(t, shared.TypeConversationCreate, shared.NewUUIDv7(),
		shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
	if e.Code != shared.CodeBlocked || e.Message != bob.Nickname+" is not accepting new conversations from you." {
		t.Fatalf("one-to-one with a blocker: %+v", e)
	}

	// The group is made without bob, and the creator is told so, on the
	// first answer and on a replay of the same action alike.
	create := shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "team", MemberIDs: []int64{bob.ID, cat.ID}}
	actionID := shared.NewUUIDv7()
	var group shared.Conversation
	for try := range 2 {
		wa.MustSend(t, shared.TypeConversationCreate, actionID, create)
		env := wa.MustReply(t, actionID)
		var ack shared.Ack
		if env.Type != shared.TypeAck || json.Unmarshal(env.Data, &ack) != nil || ack.Conversation == nil {
			t.Fatalf("create (try %d): %s %s", try, env.Type, env.Data)
		}
		group = *ack.Conversation
		if group.Member(bob.ID) != nil || group.Member(cat.ID) == nil {
			t.Fatalf("group members %+v: want cat in and bob left out", group.Members)
		}
		if len(ack.LeftOut) != 1 || ack.LeftOut[0].UserID != bob.ID {
			t.Fatalf("try %d: left_out %+v, want bob", try, ack.LeftOut)
		}
	}

	e = wa.MustError(t, shared.TypeMemberAdd, shared.NewUUIDv7(), shared.MemberChange{ConversationID: group.ID, UserID: bob.ID})
	if e.Code != shared.CodeBlocked {
		t.Fatalf("adding a blocker: %+v", e)
	}
	wa.MustPing(t) // the connection stays up after refusals
}
