package push

import (
	"context"
	"log/slog"

	"natter/server/store"
	"natter/shared"
)

// maxLoud bounds the nicknames one message is looked up by: a body of
// hundreds of @names is noise, not a way to page a whole server.
const maxLoud = 64

// mentioned is the default Config.Loud: the members a message @mentions,
// whom a mute does not silence. A failed lookup is logged and the mention
// treated as absent: the message itself is stored and will be seen, only
// the push through a mute is lost.
func mentioned(st *store.Store, log *slog.Logger) func(context.Context, shared.Message) []int64 {
	return func(ctx context.Context, m shared.Message) []int64 {
		nicks := shared.Mentions(m.Body)
		if len(nicks) == 0 {
			return nil
		}
		if len(nicks) > maxLoud {
			nicks = nicks[:maxLoud]
		}
		ids, err := st.MentionedMembers(ctx, m.ConversationID, m.SenderID, nicks)
		if err != nil {
			log.Warn("push: mentioned members", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
			return nil
		}
		return ids
	}
}
