package client

import (
	"natter/shared"
)

// pageConversations fetches the conversations the replay left out, a page
// at a time; each page arrives as conversation and message events (merged
// like a replay) followed by the ack that says where the next one starts.
// Only after the last page are conversations the server no longer lists
// forgotten: forgetting earlier would drop ones that are merely on a later
// page. A connection that ends meanwhile leaves everything as it was; the
// next one starts over.
func (e *Engine) pageConversations(s *session) {
	after := ""
	for {
		env, err := e.request(s.ctx, shared.TypeConversationsFetch, shared.ConversationsFetch{After: after, Limit: shared.ReplayConversationsMax})
		if err != nil {
			e.log.Warn("client: conversation page", "err", err)
			return
		}
		var ack shared.Ack
		if err := decode(env, &ack); err != nil || ack.Page == nil {
			e.log.Warn("client: conversation page without a page", "err", err)
			return
		}
		e.mu.Lock()
		if e.sess != s {
			e.unlock()
			return
		}
		e.cutGaps(ack.Page.Gaps)
		last := ack.Page.Next == ""
		if last {
			e.dropUnlisted(s)
			s.paging = false
			clear(s.quiet)
		}
		e.touch()
		e.unlock()
		if last {
			return
		}
		after = ack.Page.Next
	}
}
