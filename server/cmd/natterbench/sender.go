package main

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// sender posts message.send actions on one client's connection and counts
// their replies. Its replies method runs on the client's reader goroutine.
type sender struct {
	c    *client
	conv string
	pad  string
	buf  []byte

	sent     [maxPhases]atomic.Int64
	acks     [maxPhases]atomic.Int64
	inflight chan struct{} // one token per unacked send
	backoff  atomic.Int64  // unix nanos before which a rate-limited sender waits
	window   atomic.Pointer[deliveryWindow]

	mu      sync.Mutex
	errs    map[string]int64
	ackHist [maxPhases]*hist // send → ack, guarded by mu
}

func newSender(conv string, window, bodyBytes int) *sender {
	pad := make([]byte, max(bodyBytes-32, 1))
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	return &sender{conv: conv, pad: string(pad), inflight: make(chan struct{}, window), errs: map[string]int64{}}
}

// replies handles the ack or error answering one of our sends.
func (s *sender) replies(env *shared.Envelope, now int64) {
	if env.Type == shared.TypeAck {
		if phase, stamp, ok := bodyStamp(env.Data); ok {
			s.acks[phase].Add(1)
			s.mu.Lock()
			if s.ackHist[phase] == nil {
				s.ackHist[phase] = new(hist)
			}
			s.ackHist[phase].add(now - stamp)
			s.mu.Unlock()
		}
	} else {
		var e shared.Error
		_ = json.Unmarshal(env.Data, &e)
		s.mu.Lock()
		s.errs[e.Code]++
		s.mu.Unlock()
		if e.Code == shared.CodeRateLimited {
			s.backoff.Store(now + int64(max(e.RetryAfter, 1))*int64(time.Millisecond))
		}
		// No message was made, so no delivery will free its credit.
		if w := s.window.Load(); w != nil {
			w.release()
		}
	}
	select {
	case <-s.inflight:
	default:
	}
}

// send writes one message.send stamped with phase and stamp (unix nanos).
func (s *sender) send(phase int, stamp int64) error {
	b := s.buf[:0]
	b = append(b, `{"v":1,"type":"message.send","id":"`...)
	b = append(b, shared.NewUUIDv7()...)
	b = append(b, `","data":{"conversation_id":"`...)
	b = append(b, s.conv...)
	b = append(b, `","body":"nb `...)
	b = strconv.AppendInt(b, int64(phase), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, stamp, 10)
	b = append(b, ' ')
	b = append(b, s.pad...)
	b = append(b, `"}}`...)
	s.buf = b
	s.sent[phase].Add(1)
	return s.c.ws.Write(context.Background(), websocket.MessageText, b)
}

// acquire takes an in-flight token (and a delivery credit when a delivery
// window is set), waiting out a rate limit; false when stop closed first.
func (s *sender) acquire(stop <-chan struct{}) bool {
	if w := s.window.Load(); w != nil {
		select {
		case <-w.credits:
		case <-stop:
			return false
		}
	}
	select {
	case s.inflight <- struct{}{}:
	case <-stop:
		if w := s.window.Load(); w != nil {
			w.release()
		}
		return false
	}
	if wait := time.Until(time.Unix(0, s.backoff.Load())); wait > 0 {
		select {
		case <-time.After(wait):
		case <-stop:
		}
	}
	return true
}

// drain waits until every send has its reply or the deadline passes, and
// reports how many are still unanswered.
func (s *sender) drain(deadline time.Time) int {
	for len(s.inflight) > 0 && time.Now().Before(deadline) && s.c.alive() {
		time.Sleep(5 * time.Millisecond)
	}
	return len(s.inflight)
}

// runMax sends as fast as the windows allow until stop closes.
func (s *sender) runMax(phase int, stop <-chan struct{}) {
	for s.acquire(stop) {
		if s.send(phase, time.Now().UnixNano()) != nil {
			return
		}
	}
}

// runPaced sends one message per slot; the slot's time is the stamp, so a
// sender held back by its window shows up in the latency, not hidden by it.
func (s *sender) runPaced(phase int, slots <-chan int64, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case at, ok := <-slots:
			if !ok {
				return
			}
			if !s.acquire(stop) {
				return
			}
			if s.send(phase, at) != nil {
				return
			}
		}
	}
}

// errCounts returns a copy of the error counts by code.
func (s *sender) errCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.errs))
	for k, v := range s.errs {
		out[k] = v
	}
	return out
}

// ackLatency returns a copy of phase p's send → ack histogram.
func (s *sender) ackLatency(p int) *hist {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ackHist[p] == nil {
		return nil
	}
	cp := *s.ackHist[p]
	return &cp
}
