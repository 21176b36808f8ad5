// Package shared holds what the server and the browser must agree on: the
// domain types, the validation rules, the wire protocol and the route paths.
//
// It imports nothing but the standard library so that it compiles both for
// js/wasm and natively; a test walks its dependencies to keep it that way.
package shared
