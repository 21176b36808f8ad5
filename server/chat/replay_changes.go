package chat

import (
	"context"
	"math"

	"natter/server/store"
	"natter/shared"
)

// changesPage caps the messages of one messages.changed in a resume, and
// changesPageBytes roughly its size (bodies of 4,000 characters add up),
// well under the client's queue bound.
const (
	changesPage      = 100
	changesPageBytes = 256 << 10
)

// cutPage trims msgs to what fits changesPageBytes (at least one), and
// reports whether it cut.
func cutPage(msgs []shared.Message) ([]shared.Message, bool) {
	size := 0
	for i, m := range msgs {
		size += 256 + len(m.Body)
		if m.ReplyTo != nil {
			size += len(m.ReplyTo.Line)
		}
		if size > changesPageBytes && i > 0 {
			return msgs[:i], true
		}
	}
	return msgs, false
}

// ChangePages splits what one event (top) changed in a conversation into
// messages.changed pages that each fit a frame, for a live fan-out. Every
// page but the last covers (top-1, top-1], so a device counts the event as
// held only with its last page; with a page lost, the resume sends it all.
func ChangePages(convID string, top int64, msgs []shared.Message) []shared.MessagesChanged {
	var pages []shared.MessagesChanged
	for len(msgs) > 0 {
		page, cut := cutPage(msgs[:min(len(msgs), changesPage)])
		msgs = msgs[len(page):]
		to := top
		if cut || len(msgs) > 0 {
			to = top - 1
		}
		pages = append(pages, shared.MessagesChanged{ConversationID: convID, From: top - 1, EventSeq: to, Messages: page})
	}
	return pages
}

// replayChanges sends, for each conversation whose event seq is past the
// client's event cursor, the messages changed since (those at or below the
// client's message cursor: newer ones were just replayed whole), each once
// and in its current state, in event order, paged. The last page carries
// the conversation's event seq, so a client that held nothing learns where
// it stands. false means the client left.
func (c *Conn) replayChanges(ctx context.Context, convs []shared.Conversation) (bool, error) {
	if len(convs) == 0 {
		return true, nil
	}
	ids := make([]string, len(convs))
	for i := range convs {
		ids[i] = convs[i].ID
	}
	last, err := c.s.store.EventSeqs(ctx, ids)
	if err != nil {
		return false, err
	}
	for i := range convs {
		conv := &convs[i]
		from, top := max(c.events[conv.ID], 0), last[conv.ID]
		if from >= top {
			continue
		}
		maxSeq := max(c.cursors[conv.ID], 0)
		after := store.ChangedCursor{EventSeq: from, Seq: math.MaxInt64}
		for {
			var msgs []shared.Message
			if maxSeq > 0 {
				msgs, err = c.s.store.ChangedMessages(ctx, conv.ID, after, maxSeq, changesPage)
				if err != nil {
					return false, err
				}
			}
			msgs, cut := cutPage(msgs)
			page := shared.MessagesChanged{ConversationID: conv.ID, From: from, EventSeq: top, Messages: msgs}
			full := cut || len(msgs) == changesPage
			if full {
				// More follow, maybe with this page's last event: the
				// client may count only what is surely complete.
				lastMsg := msgs[len(msgs)-1]
				page.EventSeq = max(lastMsg.EventSeq-1, from)
				after = store.ChangedCursor{EventSeq: lastMsg.EventSeq, Seq: lastMsg.Seq}
			}
			if page.Messages == nil {
				page.Messages = []shared.Message{}
			}
			if err := c.client.SendWait(ctx, encode(shared.TypeMessagesChanged, "", 0, page)); err != nil {
				return false, nil
			}
			if !full {
				break
			}
			from = page.EventSeq
		}
	}
	return true, nil
}
