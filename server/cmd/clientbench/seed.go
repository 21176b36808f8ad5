package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// seed gives the user conversations with history over the WebSocket, as
// a browser would, and returns the first conversation's id: the list then
// has rows to draw and the conversation page messages to show.
func (b *build) seed(ctx context.Context, convs, messages int) (string, error) {
	other, err := b.otherUser()
	if err != nil {
		return "", err
	}
	b.otherID = other
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	h := http.Header{"Cookie": {b.cookie.String()}, "Origin": {b.url}}
	c, _, err := websocket.Dial(ctx, strings.Replace(b.url, "http", "ws", 1)+shared.PathWebSocket, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return "", fmt.Errorf("%s: dial: %w", b.label, err)
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 20)
	send := func(typ string, data any) error {
		raw, _ := json.Marshal(data)
		env, _ := json.Marshal(shared.Envelope{V: shared.ProtocolVersion, Type: typ, ID: shared.NewUUIDv7(), Data: raw})
		return c.Write(ctx, websocket.MessageText, env)
	}
	if err := send(shared.TypeHello, shared.Hello{Protocol: shared.ProtocolVersion, Device: shared.NewUUIDv7()}); err != nil {
		return "", err
	}
	var first string
	want := 0
	for i := 0; i < convs; i++ {
		id := shared.NewUUIDv7()
		if first == "" {
			first = id
		}
		if err := send(shared.TypeConversationCreate, shared.ConversationCreate{ID: id, Title: fmt.Sprintf("Bench %d", i+1), MemberIDs: []int64{other}}); err != nil {
			return "", err
		}
		for m := 0; m < messages; m++ {
			body := fmt.Sprintf("Message %d of conversation %d: a line of ordinary length to fill the row.", m+1, i+1)
			if err := send(shared.TypeMessageSend, shared.MessageSend{ConversationID: id, Body: body}); err != nil {
				return "", err
			}
		}
		want += 1 + messages
	}
	for acks := 0; acks < want; {
		_, frame, err := c.Read(ctx)
		if err != nil {
			return "", fmt.Errorf("%s: seeding: %d of %d acks: %w", b.label, acks, want, err)
		}
		for _, line := range bytes.Split(frame, []byte("\n")) {
			var env shared.Envelope
			if json.Unmarshal(line, &env) != nil {
				continue
			}
			switch env.Type {
			case shared.TypeAck:
				acks++
			case shared.TypeError:
				return "", fmt.Errorf("%s: seeding refused: %s", b.label, env.Data)
			}
		}
	}
	return first, nil
}

// otherUser registers a second person to talk to and returns their id.
func (b *build) otherUser() (int64, error) {
	body, _ := json.Marshal(shared.RegisterRequest{Email: "other@example.com", Nickname: "other", Password: "correct horse battery"})
	req, _ := http.NewRequest(http.MethodPost, b.url+shared.APIRegister, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	// Signed in too: the message-list scenarios write as them (list.go).
	body, _ = json.Marshal(shared.SignInRequest{Login: "other", Password: "correct horse battery"})
	req, _ = http.NewRequest(http.MethodPost, b.url+shared.APISignIn, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.url)
	if res, err = http.DefaultClient.Do(req); err != nil {
		return 0, err
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if strings.Contains(strings.ToLower(c.Name), "session") {
			b.otherCookie = c
		}
	}
	req, _ = http.NewRequest(http.MethodGet, b.url+shared.APIUsers+"?q=other", nil)
	req.AddCookie(b.cookie)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var page shared.UserPage
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Users) == 0 {
		return 0, fmt.Errorf("%s: could not find the second user (status %d, %v)", b.label, res.StatusCode, err)
	}
	return page.Users[0].ID, nil
}
