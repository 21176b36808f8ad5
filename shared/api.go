package shared

// RegisterRequest creates an account. It does not sign the device in: the
// client signs in next with the same email and password (see
// RegisterAccepted). Invite is needed when the server's signup mode is
// SignupInvite.
type RegisterRequest struct {
	Email    string `json:"email"`
	Nickname string `json:"nickname"`
	Password string `json:"password"`
	Invite   string `json:"invite,omitempty"`
}

// RegisterAccepted is the answer to every registration that passed
// validation, whether or not an account with that email existed already:
// telling the two apart would tell anyone which emails have accounts. The
// client then signs in with the email and password it registered with.
type RegisterAccepted struct {
	Message string `json:"message"`
}

// Signup modes: who may create an account.
const (
	SignupOpen   = "open"   // anyone
	SignupInvite = "invite" // anyone with an invite code from the operator
	SignupClosed = "closed" // nobody; the operator creates accounts
)

// SignupInfo tells the registration form what to show: an invite code
// field in SignupInvite mode, a notice instead of the form when closed.
type SignupInfo struct {
	Mode string `json:"mode"`
}

// SignInRequest signs in with an email or a nickname in Login.
type SignInRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// SignOutRequest ends this device's session, or every session of the user.
type SignOutRequest struct {
	All bool `json:"all,omitempty"`
}

// ProfileUpdate changes the profile; empty fields are left alone. Changing
// the email or the password needs CurrentPassword.
type ProfileUpdate struct {
	Nickname        string `json:"nickname,omitempty"`
	Email           string `json:"email,omitempty"`
	NewPassword     string `json:"new_password,omitempty"`
	CurrentPassword string `json:"current_password,omitempty"`
}

// ErrorResponse is the body of every failed HTTP API call: one entry per
// problem, each naming its form field when it has one.
type ErrorResponse struct {
	Errors []FieldError `json:"errors"`
}

// UserPage is one page of a user search, ordered by nickname; pass Next as
// the "after" parameter to get the following page.
type UserPage struct {
	Users []User `json:"users"`
	Next  string `json:"next,omitempty"`
}

// PushSubscription is a browser's Web Push subscription as PushManager gives it.
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
	Device string `json:"device,omitempty"`
}

// Error codes of the account endpoints, beside those in protocol.go.
const (
	CodeSignupClosed  = "signup_closed"
	CodeInviteInvalid = "invite_invalid"
	CodeCrossOrigin   = "cross_origin"
	CodeQueryRequired = "query_required"
)
