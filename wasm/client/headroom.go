package client

// Prepending with room to spare. Older history comes a page at a time in
// front of everything a conversation holds; a plain prepend copies all of
// it each time, so the tenth page of a hundred messages moved a thousand,
// and the copies (of the messages, and of their rows) were most of what a
// step up allocated: a Go collection every four or five steps. A slice
// that keeps free room before its first element takes the next pages by
// copying only them, and grows, doubling, when the room runs out.
//
// The room is in the array the slice is the tail of (buf, its whole
// length). Writing there touches no element of any slice handed out
// before: they all start at or after the old first element.

// headroom returns how many free elements buf holds before s's first,
// or 0 when s is not the tail of buf (it was reallocated since).
func headroom[T any](buf, s []T) int {
	if len(s) == 0 || len(buf) == 0 {
		return 0
	}
	h := cap(buf) - cap(s)
	if h <= 0 || h >= len(buf) || &buf[h] != &s[0] {
		return 0
	}
	return h
}

// dropStaleRoom forgets an array msgs or rows no longer lie in (an insert
// or an append moved them, rows were dropped, or the room is used up), so
// that it is not kept alive for nothing.
func (c *conv) dropStaleRoom() {
	if headroom(c.msgsBuf, c.msgs) == 0 {
		c.msgsBuf = nil
	}
	if headroom(c.rowsBuf, c.rows) == 0 {
		c.rowsBuf = nil
	}
}

// prependRoom returns older followed by s, and the array it is the tail
// of. It copies only older when buf has the room before s; else it copies
// both into a new array with as much room again before them.
func prependRoom[T any](buf, s, older []T) (newBuf, out []T) {
	if len(older) == 0 {
		return buf, s
	}
	if h := headroom(buf, s); h >= len(older) {
		at := h - len(older)
		copy(buf[at:h], older)
		return buf, buf[at : h+len(s)]
	}
	n := len(older) + len(s)
	room := max(n, 64)
	newBuf = make([]T, room+n, room+n+16) // 16: appends at the end, as before
	newBuf = newBuf[:cap(newBuf)]
	copy(newBuf[room:], older)
	copy(newBuf[room+len(older):], s)
	return newBuf, newBuf[room : room+n]
}
