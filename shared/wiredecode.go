package shared

// Hand-written decoders for the types every frame carries: the envelope,
// messages and conversations (jsonread.go says why). encoding/json calls
// them for these types wherever they appear (a page of history, an ack),
// and the browser's hot paths call them directly (DecodeFrame, and the
// client's decode), which also skips encoding/json's own scan of the
// input. TestWireDecodeMatchesEncodingJSON holds them to encoding/json's
// results.

// UnmarshalJSON decodes an envelope; Data keeps the raw bytes of its value.
func (e *Envelope) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := e.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (e *Envelope) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "v":
			return r.int(&e.V)
		case "type":
			return r.string(&e.Type)
		case "id":
			return r.string(&e.ID)
		case "seq":
			return r.int64(&e.Seq)
		case "data":
			raw, err := r.raw()
			if err != nil {
				return err
			}
			e.Data = raw
			return nil
		}
		return r.skip()
	})
}

// UnmarshalJSON decodes a message.
func (m *Message) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := m.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (m *Message) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "id":
			return r.int64(&m.ID)
		case "conversation_id":
			return r.string(&m.ConversationID)
		case "seq":
			return r.int64(&m.Seq)
		case "sender_id":
			return r.int64(&m.SenderID)
		case "sender":
			return r.string(&m.Sender)
		case "kind":
			return r.string(&m.Kind)
		case "body":
			return r.string(&m.Body)
		case "action_id":
			return r.string(&m.ActionID)
		case "created_at":
			return r.time(&m.CreatedAt)
		case "edited_at":
			return r.timePtr(&m.EditedAt)
		case "deleted_at":
			return r.timePtr(&m.DeletedAt)
		case "event_seq":
			return r.int64(&m.EventSeq)
		case "reply_to":
			if r.null() {
				m.ReplyTo = nil
				return nil
			}
			q := &ReplyQuote{}
			if err := q.decode(r); err != nil {
				return err
			}
			m.ReplyTo = q
			return nil
		case "reactions":
			if r.null() {
				m.Reactions = nil
				return nil
			}
			out := []Reaction{}
			err := r.array(func() error {
				var x Reaction
				if err := x.decode(r); err != nil {
					return err
				}
				out = append(out, x)
				return nil
			})
			m.Reactions = out
			return err
		}
		return r.skip()
	})
}

// UnmarshalJSON decodes a reply's quote.
func (q *ReplyQuote) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := q.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (q *ReplyQuote) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "seq":
			return r.int64(&q.Seq)
		case "sender_id":
			return r.int64(&q.SenderID)
		case "sender":
			return r.string(&q.Sender)
		case "line":
			return r.string(&q.Line)
		case "deleted":
			return r.bool(&q.Deleted)
		}
		return r.skip()
	})
}

// UnmarshalJSON decodes a reaction.
func (x *Reaction) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := x.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (x *Reaction) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "emoji":
			return r.string(&x.Emoji)
		case "user_ids":
			return r.int64s(&x.UserIDs)
		}
		return r.skip()
	})
}

// UnmarshalJSON decodes a member.
func (mb *Member) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := mb.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (mb *Member) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "user_id":
			return r.int64(&mb.UserID)
		case "nickname":
			return r.string(&mb.Nickname)
		case "owner":
			return r.bool(&mb.Owner)
		case "seen_seq":
			return r.int64(&mb.SeenSeq)
		case "seen_at":
			return r.timePtr(&mb.SeenAt)
		}
		return r.skip()
	})
}

// UnmarshalJSON decodes a conversation.
func (c *Conversation) UnmarshalJSON(b []byte) error {
	r := &jsonReader{b: b}
	if err := c.decode(r); err != nil {
		return err
	}
	return r.end()
}

func (c *Conversation) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "id":
			return r.string(&c.ID)
		case "title":
			return r.string(&c.Title)
		case "named":
			return r.bool(&c.Named)
		case "direct":
			return r.bool(&c.Direct)
		case "created_by":
			return r.int64(&c.CreatedBy)
		case "created_at":
			return r.time(&c.CreatedAt)
		case "closed_at":
			return r.timePtr(&c.ClosedAt)
		case "last_seq":
			return r.int64(&c.LastSeq)
		case "last_at":
			return r.timePtr(&c.LastAt)
		case "members":
			if r.null() {
				c.Members = nil
				return nil
			}
			out := []Member{}
			err := r.array(func() error {
				var mb Member
				if err := mb.decode(r); err != nil {
					return err
				}
				out = append(out, mb)
				return nil
			})
			c.Members = out
			return err
		case "preview":
			if r.null() {
				c.Preview = nil
				return nil
			}
			m := &Message{}
			if err := m.decode(r); err != nil {
				return err
			}
			c.Preview = m
			return nil
		case "delta":
			return r.bool(&c.Delta)
		case "removed":
			return r.int64s(&c.Removed)
		}
		return r.skip()
	})
}
