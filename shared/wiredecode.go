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
	return decodeSlice(r, v, (*Message).decode)
}

// decodeSlice reads an array into *v with dec for each element, as
// encoding/json does for a slice field: nil for null, empty (not nil) for
// [].
func decodeSlice[T any](r *jsonReader, v *[]T, dec func(*T, *jsonReader) error) error {
	if r.null() {
		*v = nil
		return nil
	}
	out := []T{}
	err := r.array(func() error {
		var x T
		if err := dec(&x, r); err != nil {
			return err
		}
		out = append(out, x)
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
			return decodePtr(r, &m.ReplyTo, (*ReplyQuote).decode)
		case "reactions":
			return decodeSlice(r, &m.Reactions, (*Reaction).decode)
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
			return decodeSlice(r, &c.Members, (*Member).decode)
		case "preview":
			return decodePtr(r, &c.Preview, (*Message).decode)
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
