package shared_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"natter/shared"
)

func TestCheckFrameText(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  error
	}{
		{"plain", `{"type":"message.send","data":{"body":"hi"}}`, nil},
		{"empty", ``, nil},
		{"emoji literal", `{"body":"👨‍👩‍👧 ok"}`, nil},
		{"pair escaped", `{"body":"\ud83d\ude00"}`, nil},
		{"pair escaped upper", `{"body":"\uD83D\uDE00"}`, nil},
		{"bmp escape", `{"body":"\u00e9\u0041"}`, nil},
		{"replacement escape", `{"body":"\ufffd"}`, nil},
		{"escaped backslash then text", `{"body":"\\ud800"}`, nil},
		{"escaped backslash then low text", `{"body":"\\udc00"}`, nil},
		{"two escaped backslashes then escape", `{"body":"\\\\\ud83d\ude00"}`, nil},
		{"other escapes", `{"body":"a\"b\\c\/d\n\t\r\b\f"}`, nil},
		{"invalid byte", "{\"body\":\"\xff\"}", shared.ErrInvalidUTF8},
		{"truncated rune", "{\"body\":\"\xe2\x82\"}", shared.ErrInvalidUTF8},
		{"overlong slash", "{\"body\":\"\xc0\xaf\"}", shared.ErrInvalidUTF8},
		{"utf8 encoded surrogate", "{\"body\":\"\xed\xa0\x80\"}", shared.ErrInvalidUTF8},
		{"lone high", `{"body":"\ud800"}`, shared.ErrLoneSurrogate},
		{"lone high upper", `{"body":"\uD800x"}`, shared.ErrLoneSurrogate},
		{"lone low", `{"body":"\udc00"}`, shared.ErrLoneSurrogate},
		{"high then bmp escape", `{"body":"\ud800\u0041"}`, shared.ErrLoneSurrogate},
		{"high then high", `{"body":"\ud800\ud800\udc00"}`, shared.ErrLoneSurrogate},
		{"high then escaped backslash", `{"body":"\ud800\\udc00"}`, shared.ErrLoneSurrogate},
		{"high at end of frame", `\ud800`, shared.ErrLoneSurrogate},
		{"low after valid pair", `{"body":"\ud83d\ude00\ude00"}`, shared.ErrLoneSurrogate},
		{"escape after escaped backslash", `{"body":"\\\ud800"}`, shared.ErrLoneSurrogate},
		{"lone in key", `{"\udfff":1}`, shared.ErrLoneSurrogate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := shared.CheckFrameText([]byte(tt.frame))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckFrameText(%q) = %v, want %v", tt.frame, err, tt.want)
			}
		})
	}
}

// TestCheckFrameTextErrorsDiffer: the server closes with 1007 on one and
// answers an error on the other, so neither may match the other.
func TestCheckFrameTextErrorsDiffer(t *testing.T) {
	if errors.Is(shared.CheckFrameText([]byte("\xff")), shared.ErrLoneSurrogate) ||
		errors.Is(shared.CheckFrameText([]byte(`"\ud800"`)), shared.ErrInvalidUTF8) {
		t.Fatal("the two errors are not distinguishable")
	}
}

// hasReplacement reports whether the frame asks for U+FFFD itself, literally
// or as an escape.
func hasReplacement(b []byte) bool {
	return bytes.ContainsRune(b, '\uFFFD') || bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`))
}

// decodedStrings decodes b as a stream of JSON values token by token and
// returns every string in it, keys and duplicate keys included, so the
// property sees every string a handler could store.
func decodedStrings(b []byte) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		if s, ok := tok.(string); ok {
			out = append(out, s)
		}
	}
}

// FuzzCheckFrameText: no input panics; whatever CheckFrameText accepts
// decodes without U+FFFD unless the frame asked for U+FFFD; and a frame
// refused for a lone surrogate that is valid JSON does decode to U+FFFD, so
// the check refuses nothing encoding/json would have kept intact.
func FuzzCheckFrameText(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"message.send","id":"x","data":{"body":"hi"}}`,
		`"\ud83d\ude00"`, `"\\ud800"`, `"\ud800"`, `"\udc00"`, `"\ud800\u0041"`,
		"\"\xff\"", `"\ufffd"`, "\"\uFFFD\"", `["\uD800\uDC00",{"k\u00e9":"v"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := shared.CheckFrameText(b)
		if err != nil && !errors.Is(err, shared.ErrInvalidUTF8) && !errors.Is(err, shared.ErrLoneSurrogate) {
			t.Fatalf("unexpected error %v", err)
		}
		strs, ok := decodedStrings(b)
		var s string
		if json.Unmarshal(b, &s) == nil {
			strs, ok = append(strs, s), true
		}
		if !ok || hasReplacement(b) {
			return
		}
		sawFFFD := false
		for _, s := range strs {
			sawFFFD = sawFFFD || strings.ContainsRune(s, '\uFFFD')
		}
		switch {
		case err == nil && sawFFFD:
			t.Fatalf("accepted %q but it decodes with U+FFFD: %q", b, strs)
		case err != nil && !sawFFFD:
			t.Fatalf("refused %q (%v) but it decodes intact: %q", b, err, strs)
		}
	})
}

// FuzzDecodeFrame: the client's frame splitter never panics, and after
// CheckFrameText accepts a frame no envelope field comes back with U+FFFD
// that the frame did not ask for.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte("{\"type\":\"ping\"}\n{\"type\":\"caught_up\"}\n"))
	f.Add([]byte(`[{"type":"ack","id":"a"},{"type":"pong"}]`))
	f.Add([]byte("{\"type\":\"ack\",\"id\":\"\xff\"}\n{\"type\":\"pong\"}"))
	f.Add([]byte(`{"type":"ack","id":"\ud800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		envs, _ := shared.DecodeFrame(b)
		if shared.CheckFrameText(b) != nil || hasReplacement(b) {
			return
		}
		for _, e := range envs {
			if strings.ContainsRune(e.Type+e.ID, '\uFFFD') {
				t.Fatalf("accepted %q but decoded %+v", b, e)
			}
		}
	})
}
