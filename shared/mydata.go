package shared

// A person's own data, over HTTP: both need a session and, like every
// request that changes something, come from Natter's own pages.
const (
	// APIMeExport (POST) answers with the person's data as a JSON download.
	// It is a POST, not a GET, so no link or image on another site can make
	// a browser fetch it.
	APIMeExport = "/api/me/export"
	// APIMeDelete (POST, AccountDelete) deletes the account for good.
	APIMeDelete = "/api/me/delete"
)

// AccountDelete confirms deleting one's account with the password, so a
// borrowed unlocked device cannot do it.
type AccountDelete struct {
	Password string `json:"password"`
}

// AccountDeletedMessage is the reason the deleted person's devices are
// given, with CodeSessionRevoked, when their connections are closed.
const AccountDeletedMessage = "Your account was deleted."
