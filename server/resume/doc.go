// Package resume seals and opens resume tokens: the connection state (user,
// session, device, cursors) the server hands a client and gets back after a
// refresh, a network drop, a restart or a move to another node, without
// having kept it. Tokens are AES-256-GCM under a key ring kept in the
// database, rotated daily and retired once no token it sealed can be valid.
package resume
