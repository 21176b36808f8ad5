package client

import (
	"encoding/json"
	"strconv"
	"time"

	"natter/shared"
)

// A flush encodes and indexes every message a conversation keeps: tens of
// milliseconds for ten thousand in the browser, on the one thread that also
// draws and takes keystrokes, every second while messages stream in. So it
// runs in slices (sliceBudget each) with a pause between them in which the
// browser paints and handles input (pause, pause_js.go): typing stays
// immediate in the busiest conversation, and the record written is the
// same as one json.Marshal of the whole.

// sliceBudget is how long encoding runs before it pauses.
const sliceBudget = 4 * time.Millisecond

// slicer pauses work that has run longer than sliceBudget since its last
// pause.
type slicer struct{ since time.Time }

func newSlicer() *slicer { return &slicer{since: time.Now()} }

// tick is called between units of work; every 32nd call it looks at the
// clock and pauses when the slice is used up.
func (s *slicer) tick(i int) {
	if i&31 != 31 || time.Since(s.since) < sliceBudget {
		return
	}
	pause()
	s.since = time.Now()
}

// encodeMessages is json.Marshal(msgs), in slices.
func encodeMessages(msgs []shared.Message, s *slicer) []byte {
	b := make([]byte, 0, 256*len(msgs)+2)
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		mb, err := json.Marshal(m)
		if err != nil {
			continue // our own type: cannot fail
		}
		b = append(b, mb...)
		s.tick(i)
	}
	return append(b, ']')
}

// buildIndexSliced is buildIndex, in slices.
func buildIndexSliced(msgs []shared.Message, s *slicer) *wordIndex {
	ix := &wordIndex{Words: map[string][]int64{}}
	for i, m := range msgs {
		ix.add(m)
		s.tick(i)
	}
	return ix
}

// encodeIndex is json.Marshal(ix), in slices, but for the order of the
// words (a map's, which decoding does not care about).
func encodeIndex(ix *wordIndex, s *slicer) []byte {
	b := append(make([]byte, 0, 64*len(ix.Words)+8*len(ix.Seqs)+16), `{"w":{`...)
	i := 0
	for w, seqs := range ix.Words {
		if i > 0 {
			b = append(b, ',')
		}
		kb, err := json.Marshal(w)
		if err != nil {
			kb = []byte(`""`)
		}
		b = append(append(b, kb...), ':')
		b = appendInts(b, seqs)
		s.tick(i)
		i++
	}
	b = append(b, `},"s":`...)
	b = appendInts(b, ix.Seqs)
	return append(b, '}')
}

// appendInts appends seqs as a JSON array (null when nil, as json.Marshal).
func appendInts(b []byte, seqs []int64) []byte {
	if seqs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for j, q := range seqs {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, q, 10)
	}
	return append(b, ']')
}
