package shared

import (
	"strconv"
	"strings"
)

// Page routes of the PWA. The server registers every one of them with a shell
// component, because go-app answers 404 for any path its process has not
// registered, and the service worker serves the app shell for all of them.
const (
	RouteHome         = "/"
	RouteSignIn       = "/signin"
	RouteSignUp       = "/signup"
	RouteProfile      = "/profile"
	RouteNew          = "/new"
	RouteConversation = "/c/" // followed by the conversation id
)

// PageRoutes lists the fixed page routes; RouteConversationPattern covers the
// conversation pages.
var PageRoutes = []string{RouteHome, RouteSignIn, RouteSignUp, RouteProfile, RouteNew}

// RouteConversationPattern is the regular expression go-app matches
// conversation pages with: a conversation, or one of its messages (a
// permalink, MessagePath), which is the same page opened at that message.
const RouteConversationPattern = `^/c/[0-9a-fA-F-]{36}(/m/[0-9]{1,18})?$`

// ConversationPath returns the deep link of a conversation; notifications and
// push messages carry it so a click opens the right page.
func ConversationPath(id string) string { return RouteConversation + id }

// ConversationFromPath extracts the conversation id from a deep link, or
// returns "" when the path is not a conversation page.
func ConversationFromPath(path string) string {
	id, ok := strings.CutPrefix(path, RouteConversation)
	if head, _, cut := strings.Cut(id, messageInfix); cut {
		id = head
		ok = ok && MessageFromPath(path) > 0
	}
	if !ok || !IsUUID(id) {
		return ""
	}
	return strings.ToLower(id)
}

// messageInfix separates a conversation from one of its messages in a
// permalink.
const messageInfix = "/m/"

// MessagePath returns the permalink of message seq of a conversation: the
// conversation page opened at that message, highlighted. Search results
// navigate to it too.
func MessagePath(convID string, seq int64) string {
	return ConversationPath(convID) + messageInfix + strconv.FormatInt(seq, 10)
}

// MessageFromPath returns the seq a permalink names, or 0 when the path
// names no message.
func MessageFromPath(path string) int64 {
	rest, ok := strings.CutPrefix(path, RouteConversation)
	if !ok {
		return 0
	}
	id, num, ok := strings.Cut(rest, messageInfix)
	if !ok || !IsUUID(id) || num == "" || len(num) > 18 {
		return 0
	}
	seq, err := strconv.ParseInt(num, 10, 64)
	if err != nil || seq < 1 || strconv.FormatInt(seq, 10) != num {
		return 0
	}
	return seq
}

// HTTP endpoints. Accounts live on HTTP because only an HTTP response can set
// the HttpOnly session cookie; everything else travels over the WebSocket.
const (
	APIRegister   = "/api/register"
	APISignup     = "/api/signup" // GET: the signup mode (SignupInfo)
	APISignIn     = "/api/signin"
	APISignOut    = "/api/signout"
	APIMe         = "/api/me"
	APIUsers      = "/api/users"
	APIVAPIDKey   = "/api/push/key"
	APIPushSub    = "/api/push/subscribe"
	PathWebSocket = "/ws"
	PathMetrics   = "/metrics"
	PathHealth    = "/healthz"
)

// The names of the cookie that carries the session token. Without TLS it is
// SessionCookie; with secure cookies it is
// SecureSessionCookie, whose __Host- prefix makes the browser refuse it
// unless it is Secure, host-only and for path /, so a sibling subdomain
// cannot plant or overwrite it. The client never reads either: both are
// HttpOnly.
const (
	SessionCookie       = "natter_session"
	SecureSessionCookie = "__Host-natter_session"
)
