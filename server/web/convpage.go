package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/andybalholm/brotli"

	"natter/shared"
)

// Drawn pages: a signed-in member opening a conversation gets its newest
// messages in the page itself (conversationSkeleton), so the screen's
// largest paint comes with the HTML instead of after Go has started,
// connected and rendered.
//
// Who gets what:
//   - a member, within the budget: the drawn page, never stored by any
//     cache (it holds their messages);
//   - a navigation with no session cookie at all: a redirect to the
//     sign-in page, which is where the app would send them once started;
//   - anyone else (a stranger to the conversation, an expired or revoked
//     session, a request over the budget, a database error, the service
//     worker's precache): the same static page as before, which holds no
//     messages. A refusal looks like a miss on purpose: the page does not
//     tell a stranger that a conversation exists.

// Defaults of Config.PageLimit and PageWindow: a person opening
// conversations one after another stays far below; a script fetching pages
// in a loop is held to one every two seconds on average.
const (
	defaultPageLimit  = 60
	defaultPageWindow = 2 * time.Minute
)

// pageLoadTimeout bounds the queries of a drawn page: past it the static
// page goes out, which the app fills itself.
const pageLoadTimeout = 2 * time.Second

// conversationPage answers a GET of a conversation's page when it can draw
// it or must redirect, and reports false when the static page should go.
func (s *Server) conversationPage(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || !conversationRoute.MatchString(r.URL.Path) {
		return false
	}
	if shared.MessageFromPath(r.URL.Path) != 0 {
		return false // a permalink opens around its message, not at the newest
	}
	if c, err := r.Cookie(s.cookieName()); (err != nil || c.Value == "") && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		to := shared.RouteSignIn + "?next=" + url.QueryEscape(r.URL.Path)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, to, http.StatusSeeOther)
		return true
	}
	page, err := s.drawConversationPage(r)
	if err != nil {
		if !errors.Is(err, errNotDrawn) {
			s.log.Warn("web: conversation page", "err", err)
		}
		return false
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // someone's messages: never kept by a cache
	h.Add("Vary", "Cookie")
	h.Add("Vary", "Accept-Encoding")
	body := page
	accept := r.Header.Get("Accept-Encoding")
	var b bytes.Buffer
	switch {
	case acceptsEncoding(accept, "br"):
		// Quality 5: a few milliseconds for the page, within a few percent
		// of the best brotli on HTML this size.
		bw := brotli.NewWriterLevel(&b, 5)
		bw.Write(page)
		bw.Close()
		body = b.Bytes()
		h.Set("Content-Encoding", "br")
	case acceptsEncoding(accept, "gzip"):
		gw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		gw.Write(page)
		gw.Close()
		body = b.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	return true
}

// errNotDrawn is a page the static one stands in for: no session, not a
// member, over the budget.
var errNotDrawn = errors.New("web: conversation page not drawn")

// drawConversationPage is the page of the conversation at r's path with
// its newest messages, for the member whose session r carries.
func (s *Server) drawConversationPage(r *http.Request) ([]byte, error) {
	rec, err := s.session(r)
	if err != nil {
		if errors.Is(err, errNoSession) {
			return nil, errNotDrawn
		}
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageLoadTimeout)
	defer cancel()
	if _, ok, err := s.pages.allow(ctx, strconv.FormatInt(rec.UserID, 10)); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errNotDrawn
	}
	id := shared.ConversationFromPath(r.URL.Path)
	conv, err := s.store.Conversation(ctx, rec.UserID, id)
	if err != nil {
		var se *shared.Error
		if errors.As(err, &se) {
			return nil, errNotDrawn // not a member, or no such conversation: the same answer
		}
		return nil, err
	}
	hist, err := s.store.History(ctx, rec.UserID, id, 0, skeletonMessages)
	if err != nil {
		var se *shared.Error
		if errors.As(err, &se) {
			return nil, errNotDrawn // left between the two queries
		}
		return nil, err
	}
	if len(hist.Messages) == 0 {
		return nil, errNotDrawn // nothing to draw: the static page is the same screen
	}
	front := s.pwaHandler().(*pwa).front
	return front.page(conversationSkeleton(conv, hist, rec.UserID, time.Now()))
}
