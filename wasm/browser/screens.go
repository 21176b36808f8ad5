//go:build js && wasm

package browser

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"syscall/js"
)

// ScreenChannel is the BroadcastChannel on which the tabs of this origin
// tell each other which conversation each one shows and whether it is
// visible.
const ScreenChannel = "natter-screens"

// tabLockPrefix names the Web Lock each tab holds for its life, so that a
// tab that crashed or was killed without a word stops counting.
const tabLockPrefix = "natter-tab-"

// Screens knows what every tab of this origin shows, so that no tab
// notifies about a conversation the user is looking at in another one. A
// zero Screens (no BroadcastChannel in this browser) knows only its own tab.
type Screens struct {
	id string
	bc js.Value
	fn js.Func

	mu   sync.Mutex
	mine string            // the conversation this tab shows, as last published
	tabs map[string]screen // the other tabs, by id
}

type screen struct {
	conv    string
	visible bool
}

// OpenScreens joins ScreenChannel and asks the other tabs what they show.
func OpenScreens() *Screens {
	b := make([]byte, 8)
	rand.Read(b)
	s := &Screens{id: hex.EncodeToString(b), tabs: map[string]screen{}}
	if nav := global.Get("navigator"); has(nav, "locks") {
		// A promise that never settles holds the lock for the tab's life.
		hold := js.FuncOf(func(js.Value, []js.Value) any {
			return global.Get("Promise").New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
		})
		nav.Get("locks").Call("request", tabLockPrefix+s.id, hold)
	}
	ctor := global.Get("BroadcastChannel")
	if ctor.IsUndefined() {
		return s
	}
	s.bc = ctor.New(ScreenChannel)
	s.fn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		d := arg0(args).Get("data")
		if d.Type() != js.TypeObject || d.Get("id").Type() != js.TypeString {
			return nil
		}
		id, conv, visible, hello := d.Get("id").String(), d.Get("conv").String(), d.Get("visible").Truthy(), d.Get("hello").Truthy()
		go s.receive(id, screen{conv: conv, visible: visible}, hello)
		return nil
	})
	s.bc.Set("onmessage", s.fn)
	s.post(true)
	return s
}

func (s *Screens) receive(id string, sc screen, hello bool) {
	s.mu.Lock()
	s.tabs[id] = sc
	s.mu.Unlock()
	if hello {
		s.post(false)
	}
}

// post tells the other tabs what this one shows; hello asks them to answer
// in kind.
func (s *Screens) post(hello bool) {
	if s.bc.Type() != js.TypeObject {
		return
	}
	s.mu.Lock()
	conv := s.mine
	s.mu.Unlock()
	_ = try(func() {
		s.bc.Call("postMessage", map[string]any{"id": s.id, "conv": conv, "visible": Visible(), "hello": hello})
	})
}

// Show publishes the conversation this tab shows ("" for none): call it
// when the page changes and when the tab is shown or hidden.
func (s *Screens) Show(convID string) {
	s.mu.Lock()
	s.mine = convID
	s.mu.Unlock()
	s.post(false)
}

// Shown reports whether a visible tab of this origin, this one included,
// shows the conversation. It blocks while it asks the browser which tabs
// are still alive, so call it from a goroutine.
func (s *Screens) Shown(convID string) bool {
	s.mu.Lock()
	if s.mine == convID && Visible() {
		s.mu.Unlock()
		return true
	}
	var ids []string
	for id, sc := range s.tabs {
		if sc.visible && sc.conv == convID {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		return false
	}
	alive := liveTabs()
	for _, id := range ids {
		if alive == nil || alive[id] {
			return true
		}
	}
	return false
}

// liveTabs returns the ids of the tabs whose life lock is held, or nil when
// the browser cannot tell.
func liveTabs() map[string]bool {
	nav := global.Get("navigator")
	if !has(nav, "locks") {
		return nil
	}
	q, err := await(nav.Get("locks").Call("query"))
	if err != nil || q.Type() != js.TypeObject {
		return nil
	}
	held := q.Get("held")
	out := map[string]bool{}
	for i := 0; i < held.Length(); i++ {
		if name := held.Index(i).Get("name"); name.Type() == js.TypeString {
			if n := name.String(); len(n) > len(tabLockPrefix) && n[:len(tabLockPrefix)] == tabLockPrefix {
				out[n[len(tabLockPrefix):]] = true
			}
		}
	}
	return out
}
