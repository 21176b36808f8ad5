package chat

import (
	"context"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// TypingTTL is how long one typing signal keeps "… is typing" on the
// others' screens. Clients repeat the signal every second while keys are
// pressed (client.typingEvery), so a typist stays shown, and the indicator
// goes within this long of the last keystroke instead of lingering.
const TypingTTL = 1500 * time.Millisecond

// signal handles an ephemeral frame at once: pings, typing and read
// positions. They were charged on arrival like everything else; they are
// relayed only to members (the membership check is the store's), dropped
// first under backpressure, never replayed, and errors about them are not
// worth a reply.
func (c *Conn) signal(ctx context.Context, env shared.Envelope) {
	switch env.Type {
	case shared.TypePing:
		c.client.Send(encode(shared.TypePong, env.ID, 0, nil))
	case shared.TypeTyping:
		var t shared.Typing
		if decode(env, &t) != nil {
			return
		}
		conv, err := c.s.store.Conversation(ctx, c.user.ID, t.ConversationID)
		if err != nil || conv.ClosedAt != nil {
			return
		}
		t.UserID, t.Nickname, t.Until = c.user.ID, c.user.Nickname, time.Now().Add(TypingTTL).UTC()
		c.s.publish(hub.Event{UserIDs: memberIDs(conv), Ephemeral: true, ExceptSession: c.sess.ID,
			Payload: encode(shared.TypeTypingEvent, "", 0, t)})
	case shared.TypeReadPosition:
		var p shared.ReadPosition
		if decode(env, &p) != nil {
			return
		}
		if p.ConversationID == "" {
			c.s.hub.StopViewing(c.client)
			c.viewing = ""
			return
		}
		if p.Seq < 0 || p.Offset < 0 || p.Offset > 1000 {
			return // an offset is thousandths of the anchor message's height
		}
		conv, err := c.s.store.Conversation(ctx, c.user.ID, p.ConversationID)
		if err != nil {
			return
		}
		p.UserID, p.Nickname = c.user.ID, c.user.Nickname
		c.viewing = p.ConversationID
		c.s.hub.SetViewing(c.client, p, memberIDs(conv))
	}
}
