//go:build js && wasm

package browser

import (
	"errors"
	"fmt"
	"syscall/js"
)

// jsErr turns a JS error object (DOMException, Error) into a Go error that
// keeps its name, e.g. "QuotaExceededError: ...".
func jsErr(v js.Value) error {
	if v.IsUndefined() || v.IsNull() {
		return errors.New("unknown browser error")
	}
	name, msg := v.Get("name"), v.Get("message")
	if name.Type() == js.TypeString && msg.Type() == js.TypeString {
		return fmt.Errorf("%s: %s", name.String(), msg.String())
	}
	return errors.New(v.Call("toString").String())
}

// try runs f and turns a thrown JS exception into an error.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = jsErr(je.Value)
				return
			}
			err = fmt.Errorf("browser: %v", r)
		}
	}()
	f()
	return nil
}

// await blocks until the promise settles and returns its value or reason.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg0(args)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: jsErr(arg0(args))}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// has reports whether a global (or a property of one) exists.
func has(v js.Value, name string) bool {
	p := v.Get(name)
	return !p.IsUndefined() && !p.IsNull()
}

var global = js.Global()
