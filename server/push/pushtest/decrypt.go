package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/hkdf"

	"natter/shared"
)

var (
	errEncoding = errors.New("pushtest: Content-Encoding is not aes128gcm")
	errShort    = errors.New("pushtest: body shorter than its header")
	errPadding  = errors.New("pushtest: no padding delimiter in the last record")
)

// decrypt opens an aes128gcm body (RFC 8188) encrypted for d (RFC 8291).
func (d *Device) decrypt(body []byte) ([]byte, shared.PushPayload, error) {
	var pl shared.PushPayload
	if len(body) < 21 {
		return nil, pl, errShort
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, pl, errShort
	}
	asPublic, records := body[21:21+idlen], body[21+idlen:]
	peer, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, pl, err
	}
	secret, err := d.key.ECDH(peer)
	if err != nil {
		return nil, pl, err
	}
	info := append(append([]byte("WebPush: info\x00"), d.key.PublicKey().Bytes()...), asPublic...)
	ikm := expand(hkdf.Extract(sha256.New, secret, d.auth), info, 32)
	prk := hkdf.Extract(sha256.New, ikm, salt)
	cek := expand(prk, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := expand(prk, []byte("Content-Encoding: nonce\x00"), 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	var plain []byte
	for i := uint64(0); len(records) > 0; i++ {
		n := min(int(rs), len(records))
		iv := bytes.Clone(nonce)
		for j := range 8 {
			iv[11-j] ^= byte(i >> (8 * j))
		}
		rec, err := gcm.Open(nil, iv, records[:n], nil)
		if err != nil {
			return nil, pl, err
		}
		records = records[n:]
		rec = bytes.TrimRight(rec, "\x00")
		if len(rec) == 0 || (rec[len(rec)-1] != 2 && len(records) == 0) {
			return nil, pl, errPadding
		}
		plain = append(plain, rec[:len(rec)-1]...)
	}
	err = json.Unmarshal(plain, &pl)
	return plain, pl, err
}

func expand(prk, info []byte, n int) []byte {
	out := make([]byte, n)
	_, _ = io.ReadFull(hkdf.Expand(sha256.New, prk, info), out)
	return out
}

// checkVAPID verifies "vapid t=<JWT>, k=<key>": an ES256 JWT signed by k
// whose audience is the push service's origin and which has not expired.
func checkVAPID(h, origin string) (key string, ok bool) {
	rest, found := strings.CutPrefix(h, "vapid ")
	if !found {
		return "", false
	}
	var token string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			token = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			key = v
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(raw) != 65 {
		return key, false
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return key, false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return key, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return key, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return key, false
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return key, false
	}
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if json.Unmarshal(claims, &c) != nil || c.Aud != origin || c.Exp < time.Now().Unix() || c.Sub == "" {
		return key, false
	}
	return key, true
}
