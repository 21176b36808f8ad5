package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"natter/server/chat"
	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// exportsPerDay bounds how often one person may download their data: an
// export reads every message they ever wrote, so it must not become a way
// to keep the database busy.
const exportsPerDay = 10

// handleExport answers POST /api/me/export with the person's data as a JSON
// attachment (see store.ExportAccount for what it holds). The body may be
// empty or a JSON object.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		var req struct{}
		if !decodeJSON(w, r, &req) {
			return
		}
	}
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	wait, allowed, err := s.exports.allow(r.Context(), "user:"+strconv.FormatInt(rec.UserID, 10))
	if err != nil {
		s.internalError(w, "export account", err)
		return
	}
	if !allowed {
		throttled(w, wait, "You downloaded your data many times today. Try again in %s.")
		return
	}
	exp, err := s.store.ExportAccount(r.Context(), rec.UserID)
	if err != nil {
		s.internalError(w, "export account", err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="natter-%d-%s.json"`,
		rec.UserID, exp.ExportedAt.Format("2006-01-02")))
	writeJSON(w, http.StatusOK, exp)
}

// handleDeleteAccount answers POST /api/me/delete: with the right password
// the account and what is theirs goes (store.DeleteAccount), every device
// of theirs is disconnected with session_revoked (and wipes itself), and
// the other members see them gone. A wrong password counts against the
// sign-in throttle like a sign-in. Asking again after success finds no
// session: 401, and nothing changes.
func (s *Server) handleDeleteAccount(w http.ResponseWriter, r *http.Request) {
	var req shared.AccountDelete
	if !decodeJSON(w, r, &req) {
		return
	}
	rec, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	if req.Password == "" {
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "password", Code: shared.CodeWrongPassword,
			Message: "Enter your password to delete your account."})
		return
	}
	good, answered := s.checkCurrentPassword(w, r, rec, req.Password)
	if answered {
		return
	}
	if !good {
		writeError(w, http.StatusUnprocessableEntity, shared.FieldError{Field: "password", Code: shared.CodeWrongPassword,
			Message: "Your password is wrong."})
		return
	}
	d, err := s.store.DeleteAccount(r.Context(), rec.UserID)
	if errors.Is(err, store.ErrNoUser) {
		// Deleted meanwhile (another tab, the operator): the same outcome.
		s.setCookie(w, "", time.Time{})
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		s.internalError(w, "delete account", err)
		return
	}
	s.log.Info("account deleted by its owner", "user_id", d.UserID, "sessions", len(d.SessionIDs),
		"conversations", len(d.Conversations), "erased_messages", len(d.Erased), "dropped_conversations", d.Dropped)
	s.hub.PublishBatch(AccountDeletedEvents(d))
	s.disconnect(r.Context(), d.SessionIDs, shared.AccountDeletedMessage)
	s.setCookie(w, "", time.Time{})
	w.WriteHeader(http.StatusNoContent)
}

// AccountDeletedEvents are what the remaining members of a deleted
// person's conversations are told: each conversation as it is now (the
// person gone, maybe a new owner) and, as messages.changed under the
// deletion's event, every message it changed: the erased ones (emptied and
// marked deleted), the replies quoting them, and the messages that lost the
// person's reactions. A device offline now gets the same on resume; the
// server never serves the old text again. The admin CLI publishes the same
// events through the broker.
func AccountDeletedEvents(d store.DeletedAccount) []hub.Event {
	members := make(map[string][]int64, len(d.Conversations))
	var evs []hub.Event
	for _, c := range d.Conversations {
		ids := make([]int64, len(c.Members))
		for i, m := range c.Members {
			ids[i] = m.UserID
		}
		members[c.ID] = ids
		if len(ids) > 0 {
			evs = append(evs, hub.Event{UserIDs: ids, Payload: mustEnvelope(shared.TypeConversationUpdated, c)})
		}
	}
	for _, ch := range d.Changes {
		ids := members[ch.ConversationID]
		if len(ids) == 0 {
			continue
		}
		for _, page := range chat.ChangePages(ch.ConversationID, ch.EventSeq, ch.Messages) {
			evs = append(evs, hub.Event{UserIDs: ids, Payload: mustEnvelope(shared.TypeMessagesChanged, page)})
		}
	}
	return evs
}
