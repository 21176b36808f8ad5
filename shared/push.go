package shared

import "time"

// Web Push and mute: the wire types of issue 8. The HTTP routes are in
// routes.go (APIVAPIDKey, APIPushSub, APIPushDevices, APIPushSettings); mute
// is a durable action over the WebSocket like every other change.

// APIPushDevices lists the signed-in person's devices with push on (GET) and
// turns one off (DELETE APIPushDevices/{id}); APIPushSettings sets "hide
// previews" (PUT).
const (
	APIPushDevices  = "/api/push/devices"
	APIPushSettings = "/api/push/settings"
)

// MaxPushDevices is how many devices one person may have push on. Saving
// one more drops the longest-unused one: a person who reinstalls browsers is
// never stuck, and nobody can make the server send thousands of pushes per
// message.
const MaxPushDevices = 10

// PushKey is the server's VAPID public key (uncompressed P-256 point,
// base64url without padding), the applicationServerKey of
// PushManager.subscribe.
type PushKey struct {
	Key string `json:"key"`
}

// PushDevice is one device with push on, as the profile lists it.
type PushDevice struct {
	ID        int64     `json:"id"`
	Device    string    `json:"device"`
	CreatedAt time.Time `json:"created_at"`
	// Current marks the device (session) that asked.
	Current bool `json:"current,omitempty"`
	// Endpoint lets the current device recognise its own subscription; it
	// is the person's own data.
	Endpoint string `json:"endpoint"`
}

// PushDevices answers GET APIPushDevices.
type PushDevices struct {
	Devices      []PushDevice `json:"devices"`
	HidePreviews bool         `json:"hide_previews"`
}

// PushSettings is the body of PUT APIPushSettings.
type PushSettings struct {
	HidePreviews bool `json:"hide_previews"`
}

// PushUnsubscribe is the body of DELETE APIPushSub: the endpoint this
// device is giving up (signing out, turning notifications off).
type PushUnsubscribe struct {
	Endpoint string `json:"endpoint"`
}

// PushPayload is what a push message carries to the service worker,
// encrypted end to end (RFC 8291): the push service sees none of it.
type PushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// Tag is one per conversation (PushTag): a new push replaces the
	// conversation's notification instead of piling up.
	Tag string `json:"tag"`
	// Path is the deep link a click opens.
	Path string `json:"path"`
	// Badge is the person's unread total over unmuted conversations, for
	// navigator.setAppBadge with every tab closed.
	Badge int `json:"badge"`
}

// PushTag is the notification tag of a conversation, the same for local
// and push notifications so they collapse into one.
func PushTag(convID string) string { return "conv-" + convID }

// Mute durations the UI offers; the action carries the end time itself.
const (
	MuteHour = time.Hour
	MuteDay  = 24 * time.Hour
)

// ConversationMute mutes a conversation for the sender until Until, or for
// good with Forever; neither (zero Until, Forever false) unmutes. Muting
// silences local and push notifications and takes the conversation out of
// the badge; unread counts in the list stay.
type ConversationMute struct {
	ConversationID string     `json:"conversation_id"`
	Until          *time.Time `json:"until,omitempty"`
	Forever        bool       `json:"forever,omitempty"`
}

// Mute is one person's mute state of a conversation: in the ack of
// conversation.mute, the mute.changed event to their other devices, and
// caught_up. Until nil means not muted; ChangedAt orders states that reach
// a device by several paths, the newest wins.
type Mute struct {
	ConversationID string     `json:"conversation_id"`
	Until          *time.Time `json:"until,omitempty"`
	ChangedAt      time.Time  `json:"changed_at"`
}

// MuteForever is the Until of a mute "until turned back on": far enough
// never to pass, and representable in JSON and PostgreSQL alike.
var MuteForever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Active reports whether the mute silences notifications at now.
func (m Mute) Active(now time.Time) bool { return m.Until != nil && m.Until.After(now) }

// MaxMuteAhead bounds a timed mute: longer ones are "until turned back on".
const MaxMuteAhead = 366 * 24 * time.Hour
