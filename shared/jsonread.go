package shared

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jsonReader decodes JSON by hand for the types every frame carries
// (wiredecode.go). encoding/json decodes by reflection, which in the
// browser's wasm is slow, and slowest the first time it meets each type:
// in a cold start's profile, decoding the welcome and the replay took
// 70–80 ms of the main thread, 33 of them encoding/json's first look at
// each struct type. The reader follows encoding/json's rules where they
// matter for our own frames: strings are unescaped the same way (invalid
// UTF-8 and lone surrogates become U+FFFD), numbers into integers must be
// integers in range, null leaves a value as it was (and a pointer or slice
// nil), and unknown keys are skipped; keys match exactly or ignoring ASCII
// case. Anything malformed is an error, with the offset.
type jsonReader struct {
	b     []byte
	i     int
	depth int
}

// maxJSONDepth bounds nesting in skipped values, as encoding/json does.
const maxJSONDepth = 10000

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("shared: json at offset %d: %s", r.i, fmt.Sprintf(format, args...))
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// end checks that nothing but white space follows the value.
func (r *jsonReader) end() error {
	if r.peek() != 0 {
		return r.errorf("unexpected %q after the value", r.b[r.i])
	}
	return nil
}

// null consumes a null literal and reports whether there was one.
func (r *jsonReader) null() bool {
	if r.peek() == 'n' && r.i+4 <= len(r.b) && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// object reads an object, calling field with each key (lower-cased when it
// has upper-case ASCII; the slice is valid only during the call) and the
// reader at the key's value, which field must consume (skip it when the
// key is unknown). Decoders switch on string(key), which does not
// allocate.
func (r *jsonReader) object(field func(key []byte) error) error {
	if r.peek() != '{' {
		return r.errorf("want an object")
	}
	r.i++
	if r.peek() == '}' {
		r.i++
		return nil
	}
	for {
		key, err := r.key()
		if err != nil {
			return err
		}
		if r.peek() != ':' {
			return r.errorf("want ':'")
		}
		r.i++
		if err := field(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return r.errorf("want ',' or '}'")
		}
	}
}

// key reads an object's key: the input's own bytes when it is plain
// lower-case ASCII (ours are), else unescaped and folded into a copy.
func (r *jsonReader) key() ([]byte, error) {
	if r.peek() != '"' {
		return nil, r.errorf("want a key")
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		c := r.b[j]
		if c == '"' {
			r.i = j + 1
			return r.b[start:j], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			break
		}
	}
	s, err := r.str()
	if err != nil {
		return nil, err
	}
	return []byte(foldKey(s)), nil
}

// foldKey lower-cases upper-case ASCII, so that "Seq" matches "seq" as in
// encoding/json; our keys are lower-case ASCII.
func foldKey(k string) string {
	for i := 0; i < len(k); i++ {
		if c := k[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(k)
		}
	}
	return k
}

// array reads an array, calling elem with the reader at each element.
func (r *jsonReader) array(elem func() error) error {
	if r.peek() != '[' {
		return r.errorf("want an array")
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return nil
		default:
			return r.errorf("want ',' or ']'")
		}
	}
}

// number returns the bytes of a JSON number.
func (r *jsonReader) number() ([]byte, error) {
	r.ws()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.i < len(r.b) && '1' <= r.b[r.i] && r.b[r.i] <= '9':
		for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
			r.i++
		}
	default:
		return nil, r.errorf("want a number")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if !r.digits() {
			return nil, r.errorf("want digits after '.'")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if !r.digits() {
			return nil, r.errorf("want digits in the exponent")
		}
	}
	return r.b[start:r.i], nil
}

func (r *jsonReader) digits() bool {
	start := r.i
	for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
		r.i++
	}
	return r.i > start
}

// int64 reads an integer into *v; null leaves it as it was.
func (r *jsonReader) int64(v *int64) error {
	if r.null() {
		return nil
	}
	num, err := r.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return r.errorf("%s is not an int64", num)
	}
	*v = n
	return nil
}

// int reads an integer into *v; null leaves it as it was.
func (r *jsonReader) int(v *int) error {
	var n int64
	if r.null() {
		return nil
	}
	if err := r.int64(&n); err != nil {
		return err
	}
	if int64(int(n)) != n {
		return r.errorf("%d is out of range", n)
	}
	*v = int(n)
	return nil
}

// string reads a string into *v; null leaves it as it was.
func (r *jsonReader) string(v *string) error {
	if r.null() {
		return nil
	}
	s, err := r.str()
	if err != nil {
		return err
	}
	*v = s
	return nil
}

// bool reads a boolean into *v; null leaves it as it was.
func (r *jsonReader) bool(v *bool) error {
	if r.null() {
		return nil
	}
	switch {
	case r.peek() == 't' && r.i+4 <= len(r.b) && string(r.b[r.i:r.i+4]) == "true":
		*v, r.i = true, r.i+4
	case r.peek() == 'f' && r.i+5 <= len(r.b) && string(r.b[r.i:r.i+5]) == "false":
		*v, r.i = false, r.i+5
	default:
		return r.errorf("want a boolean")
	}
	return nil
}

// time reads an RFC 3339 time into *t, as time.Time's UnmarshalJSON does;
// null leaves it as it was.
func (r *jsonReader) time(t *time.Time) error {
	if r.null() {
		return nil
	}
	if r.peek() != '"' {
		return r.errorf("want a time")
	}
	start := r.i
	if _, err := r.str(); err != nil {
		return err
	}
	if err := t.UnmarshalJSON(r.b[start:r.i]); err != nil {
		return r.errorf("%v", err)
	}
	return nil
}

// timePtr reads a time into a new *p, or nil for null.
func (r *jsonReader) timePtr(p **time.Time) error {
	if r.null() {
		*p = nil
		return nil
	}
	t := new(time.Time)
	if err := r.time(t); err != nil {
		return err
	}
	*p = t
	return nil
}

// int64s reads an array of integers; null is a nil slice, [] an empty one.
func (r *jsonReader) int64s(v *[]int64) error {
	if r.null() {
		*v = nil
		return nil
	}
	out := []int64{}
	err := r.array(func() error {
		var n int64
		if err := r.int64(&n); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		return err
	}
	*v = out
	return nil
}

// raw returns the bytes of the next value, checked, as a copy (the frame's
// buffer may be reused).
func (r *jsonReader) raw() ([]byte, error) {
	r.ws()
	start := r.i
	if err := r.skip(); err != nil {
		return nil, err
	}
	return append([]byte(nil), r.b[start:r.i]...), nil
}

// skip reads any value and discards it.
func (r *jsonReader) skip() error {
	switch c := r.peek(); {
	case c == '"':
		_, err := r.str()
		return err
	case c == '{' || c == '[':
		r.depth++
		defer func() { r.depth-- }()
		if r.depth > maxJSONDepth {
			return errors.New("shared: json nested too deep")
		}
		if c == '{' {
			return r.object(func([]byte) error { return r.skip() })
		}
		return r.array(r.skip)
	case c == 't':
		var b bool
		return r.bool(&b)
	case c == 'f':
		var b bool
		return r.bool(&b)
	case c == 'n':
		if !r.null() {
			return r.errorf("want null")
		}
		return nil
	default:
		_, err := r.number()
		return err
	}
}
