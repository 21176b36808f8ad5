//go:build js && wasm

package browser

import (
	"errors"
	"syscall/js"
)

// StorageEstimate returns navigator.storage.estimate(): the bytes this
// site stores and the quota the browser grants it. Browsers round both, and
// some pad them, so it is an estimate to show a person, not to budget by.
func StorageEstimate() (usage, quota int64, err error) {
	sm := global.Get("navigator").Get("storage")
	if sm.IsUndefined() || sm.IsNull() || !has(sm, "estimate") {
		return 0, 0, errors.New("browser: this browser gives no storage estimate")
	}
	var p js.Value
	if err := try(func() { p = sm.Call("estimate") }); err != nil {
		return 0, 0, err
	}
	v, err := await(p)
	if err != nil {
		return 0, 0, err
	}
	num := func(name string) int64 {
		if f := v.Get(name); f.Type() == js.TypeNumber {
			return int64(f.Float())
		}
		return 0
	}
	return num("usage"), num("quota"), nil
}
