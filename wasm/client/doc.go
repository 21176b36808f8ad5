// Package client is Natter's sync engine: the part of the browser app that
// keeps a durable outbox, a cache of conversations and recent messages, drafts,
// and one WebSocket connection that resumes after any gap.
//
// It is plain Go behind two small seams, Storage and Transport, so the exact
// code the browser runs is tested natively against a real in-process server
// with MemoryStorage and WebSocketTransport. Package browser supplies the
// IndexedDB Storage and the other browser seams; package ui only renders
// State and calls the action methods.
//
// The engine's promise: an action the UI accepted is in durable storage before
// it is sent and leaves the outbox only after the server acknowledged it, and
// after any gap the cache converges to the server's state with no missing and
// no duplicated messages, in seq order.
package client
