package shared

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EncodeAction encodes a client envelope at this build's protocol version:
// one envelope per frame, as the server expects.
func EncodeAction(typ, id string, data any) ([]byte, error) {
	env, err := NewEnvelope(typ, id, 0, data)
	if err != nil {
		return nil, err
	}
	env.V = ProtocolVersion
	return json.Marshal(env)
}

// DecodeFrame decodes one server frame: one envelope, several separated by
// newlines (what the hub batches), or a JSON array of them. Every client of
// the protocol splits frames with it. A line that does not decode is skipped
// (and reported) so it cannot take the others down with it.
func DecodeFrame(b []byte) ([]Envelope, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var envs []Envelope
		if err := json.Unmarshal(b, &envs); err != nil {
			return nil, fmt.Errorf("shared: decode frame: %w", err)
		}
		return envs, nil
	}
	var envs []Envelope
	var bad error
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var env Envelope
		if err := DecodeJSON(line, &env); err != nil { // by hand: wiredecode.go
			bad = fmt.Errorf("shared: decode envelope: %w", err)
			continue
		}
		envs = append(envs, env)
	}
	return envs, bad
}
