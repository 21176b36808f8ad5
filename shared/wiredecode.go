package shared

import "encoding/json"

// Hand-written decoders for the types every frame carries: the envelope,
// messages and conversations, and the acks and history pages that carry
// messages in bulk (jsonread.go says why). DecodeJSON uses them for those
// types and encoding/json for the rest. They are functions, not
// UnmarshalJSON methods: a method would be promoted to every struct that
// embeds one of these types (store.Created embeds Conversation) and
// decode only the embedded part of it. TestWireDecodeMatchesEncodingJSON
// holds them to encoding/json's results.

// DecodeJSON is json.Unmarshal, by hand when v is a *Envelope, *Message,
// *[]Message, *Conversation, *History or *Ack (an ack's rarer fields go
// through encoding/json): about 4.7 times faster in the browser's wasm,
// with no reflection and no scan of the input ahead of the decoding.
func DecodeJSON(b []byte, v any) error {
	r := &jsonReader{b: b}
	var err error
	switch v := v.(type) {
	case *Envelope:
		err = v.decode(r)
	case *Message:
		err = v.decode(r)
	case *Conversation:
		err = v.decode(r)
	case *[]Message:
		err = decodeMessages(r, v)
	case *History:
		err = v.decode(r)
	case *Ack:
		err = v.decode(r)
	default:
		return json.Unmarshal(b, v)
	}
	if err != nil {
		return err
	}
	return r.end()
}

// decodeMessages reads an array of messages; null is a nil slice.
func decodeMessages(r *jsonReader, v *[]Message) error {
	if r.null() {
		*v = nil
		return nil
	}
	out := []Message{}
	err := r.array(func() error {
		var m Message
		if err := m.decode(r); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return err
	}
	*v = out
	return nil
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

func (h *History) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "conversation_id":
			return r.string(&h.ConversationID)
		case "messages":
			return decodeMessages(r, &h.Messages)
		case "more":
			return r.bool(&h.More)
		case "newer":
			return r.bool(&h.Newer)
		}
		return r.skip()
	})
}

// decode reads an ack: its message, conversation and history (a page of
// older messages, the bulk of what acks carry) by hand, and the rest, rarer
// and of many types, through encoding/json, one field at a time.
func (a *Ack) decode(r *jsonReader) error {
	if r.null() {
		return nil
	}
	return r.object(func(k []byte) error {
		switch string(k) {
		case "message":
			return decodePtr(r, &a.Message, (*Message).decode)
		case "conversation":
			return decodePtr(r, &a.Conversation, (*Conversation).decode)
		case "history":
			return decodePtr(r, &a.History, (*History).decode)
		}
		var field any
		switch string(k) {
		case "seen":
			field = &a.Seen
		case "seen_by":
			field = &a.SeenBy
		case "page":
			field = &a.Page
		case "search":
			field = &a.Search
		case "left_out":
			field = &a.LeftOut
		case "edits":
			field = &a.Edits
		case "mute":
			field = &a.Mute
		default:
			return r.skip()
		}
		raw, err := r.raw()
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, field)
	})
}

// decodePtr reads a value into *p as encoding/json does for a pointer
// field: nil for null, else into what *p points to (a new T when nil).
func decodePtr[T any](r *jsonReader, p **T, dec func(*T, *jsonReader) error) error {
	if r.null() {
		*p = nil
		return nil
	}
	v := *p
	if v == nil {
		v = new(T)
	}
	if err := dec(v, r); err != nil {
		return err
	}
	*p = v
	return nil
}
