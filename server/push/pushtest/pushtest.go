// Package pushtest is a push service for tests: an HTTPS server on
// loopback implementing the receiving side of RFC 8030, with subscriptions
// whose keys the test makes, so it can decrypt every push (RFC 8291) and
// check its VAPID signature (RFC 8292) the way a browser's push service
// and the browser would.
package pushtest

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/shared"
)

// Push is one push the service accepted or refused, decrypted.
type Push struct {
	Device  string // the subscription's name
	Status  int    // what the service answered
	TTL     int
	Urgency string
	Topic   string
	// VAPIDKey is the k= of the Authorization header: the server's public key.
	VAPIDKey string
	// VAPIDValid says the JWT in the Authorization header verified under
	// VAPIDKey and names this service as its audience.
	VAPIDValid bool
	Payload    shared.PushPayload
	Plain      []byte // the decrypted payload
	Err        error  // why decryption failed
}

// Device is a subscription held by the service: what a browser would hold.
type Device struct {
	Name string
	key  *ecdh.PrivateKey
	auth []byte
	sub  shared.PushSubscription
}

// Subscription is what the browser hands the application server.
func (d *Device) Subscription() shared.PushSubscription { return d.sub }

// Service is the push service.
type Service struct {
	srv *httptest.Server
	mu  sync.Mutex
	dev map[string]*Device
	// status answers by device name; missing means 201 Created.
	status map[string]int
	// keys binds a device to the VAPID key it subscribed with: pushes
	// signed with another are refused 403, as real push services do.
	keys map[string]string
	got  map[string]chan Push
}

// Start runs a service on loopback with its own TLS certificate; it stops
// at cleanup.
func Start(tb testing.TB) *Service {
	s := &Service{dev: map[string]*Device{}, status: map[string]int{}, keys: map[string]string{}, got: map[string]chan Push{}}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.receive))
	tb.Cleanup(s.srv.Close)
	return s
}

// Client is an HTTP client that trusts the service's certificate.
func (s *Service) Client() *http.Client { return s.srv.Client() }

// URL is the service's base URL.
func (s *Service) URL() string { return s.srv.URL }

// NewDevice makes a subscription with fresh keys, as PushManager.subscribe
// would. Its endpoint is on this service.
func (s *Service) NewDevice(tb testing.TB, name string) *Device {
	tb.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	d := &Device{Name: name, key: key, auth: auth}
	d.sub.Endpoint = s.srv.URL + "/push/" + name
	d.sub.Keys.P256dh = base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	d.sub.Keys.Auth = base64.RawURLEncoding.EncodeToString(auth)
	d.sub.Device = name
	s.mu.Lock()
	s.dev[name] = d
	s.got[name] = make(chan Push, 1000)
	s.mu.Unlock()
	return d
}

// AddDevice registers a subscription a browser made elsewhere (its keys
// unknown here): pushes to it are recorded but not decrypted.
func (s *Service) AddDevice(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[name] = make(chan Push, 1000)
	return s.srv.URL + "/push/" + name
}

// SetStatus makes the service answer pushes to the device with status
// (410 Gone, 500, ...); 0 restores 201.
func (s *Service) SetStatus(name string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.status, name)
	} else {
		s.status[name] = status
	}
}

// RequireKey makes the service refuse (403) pushes to the device signed
// with another VAPID key than vapidKey, the applicationServerKey the
// browser subscribed with.
func (s *Service) RequireKey(name, vapidKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[name] = vapidKey
}

// Next waits for the device's next push; it fails the test after timeout.
func (s *Service) Next(tb testing.TB, name string, timeout time.Duration) Push {
	tb.Helper()
	s.mu.Lock()
	ch := s.got[name]
	s.mu.Unlock()
	select {
	case p := <-ch:
		return p
	case <-time.After(timeout):
		tb.Fatalf("pushtest: no push to %s within %v", name, timeout)
		return Push{}
	}
}

// Pending returns the pushes to the device received and not yet taken by
// Next, without waiting.
func (s *Service) Pending(name string) []Push {
	s.mu.Lock()
	ch := s.got[name]
	s.mu.Unlock()
	var out []Push
	for {
		select {
		case p := <-ch:
			out = append(out, p)
		default:
			return out
		}
	}
}

// receive is the RFC 8030 push resource: POST /push/{device}.
func (s *Service) receive(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/push/")
	if r.Method != http.MethodPost || !ok {
		http.Error(w, "no such push resource", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8192))
	s.mu.Lock()
	d, ch := s.dev[name], s.got[name]
	status, key := s.status[name], s.keys[name]
	s.mu.Unlock()
	if ch == nil {
		http.Error(w, "unknown subscription", http.StatusNotFound)
		return
	}
	if status == 0 {
		status = http.StatusCreated
	}
	p := Push{Device: name, Status: status, Urgency: r.Header.Get("Urgency"), Topic: r.Header.Get("Topic")}
	p.TTL, _ = strconv.Atoi(r.Header.Get("TTL"))
	p.VAPIDKey, p.VAPIDValid = checkVAPID(r.Header.Get("Authorization"), s.srv.URL)
	if key != "" && p.VAPIDKey != key {
		status = http.StatusForbidden
		p.Status = status
	}
	if d != nil {
		if r.Header.Get("Content-Encoding") != "aes128gcm" {
			p.Err = errEncoding
		} else {
			p.Plain, p.Payload, p.Err = d.decrypt(body)
		}
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", s.srv.URL+"/message/"+strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	w.WriteHeader(status)
	ch <- p
}
