// Package ui is Natter's user interface: go-app components that render the
// sync engine's state and turn clicks and keys into engine or account calls.
//
// It does no I/O of its own and never touches syscall/js or package browser,
// so it compiles (and its tests run) natively. Everything the browser must
// provide beyond the DOM comes in through Env, which main wires up.
package ui
