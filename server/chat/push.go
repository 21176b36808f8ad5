package chat

import "natter/shared"

// pushAdded tells people just added to a conversation (or with whom one
// was just started) by Web Push, when they have no live connection: the
// connected ones see it live and get a local notification. A replayed
// create or add pushes nothing new (push claims it per person).
func (s *Service) pushAdded(conv shared.Conversation, a Actor, added []int64, started bool) {
	if p := s.cfg.Pusher; p != nil {
		p.NotifyAdded(conv, a.UserID, a.Nickname, added, started)
	}
}
