//go:build !js

package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// heavy are packages that must not enter the browser app through our code
// or a dependency: net/http's client with crypto/tls and crypto/x509 was
// 5 MB of a 15 MB wasm; net/mail brought net, mime and net/textproto. None
// of them is reachable now: go-app's server half and coder/websocket's
// net/http and net names are cut out in our forks (third_party/*/PATCHES.md):
// with regexp's removal as well (routes matched by a function), the wasm
// went from 10.5 MB to 8.3 MB raw, 1.93 MB to 1.51 MB brotli. regexp is
// still imported by go-app's router but links only its package init.
var heavy = []string{
	"net/http", "crypto/tls", "crypto/x509", "net/mail", "math/big",
	"net", "mime", "mime/multipart", "net/textproto",
}

// allowedEdges are the imports of heavy packages we cannot avoid, each with
// why it costs nothing. crypto/rand imports math/big for rand.Int and
// rand.Prime, which nothing in the app calls: the linker keeps no math/big
// function (0 bytes of code in the wasm's name section). crypto/rand itself
// comes with google/uuid, go-app's state encryption and our own random IDs.
var allowedEdges = map[[2]string]bool{
	{"crypto/rand", "math/big"}: true,
}

// TestWasmLeavesHeavyPackagesOut lists the wasm build's package graph and
// fails when a heavy package becomes reachable other than through an
// allowed import, naming the chain that reaches it.
func TestWasmLeavesHeavyPackagesOut(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "natter/wasm")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		imports[p.ImportPath] = p.Imports
	}
	if len(imports["natter/wasm"]) == 0 {
		t.Fatalf("go list found no imports of natter/wasm: %s", out)
	}
	// Breadth-first from the app, not following allowed edges; from
	// remembers how each package was first reached, for the message.
	from := map[string]string{"natter/wasm": ""}
	queue := []string{"natter/wasm"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range imports[p] {
			if _, seen := from[q]; seen || allowedEdges[[2]string{p, q}] {
				continue
			}
			from[q] = p
			queue = append(queue, q)
		}
	}
	for _, h := range heavy {
		if _, ok := from[h]; !ok {
			continue
		}
		chain := []string{h}
		for p := from[h]; p != ""; p = from[p] {
			chain = append([]string{p}, chain...)
		}
		t.Errorf("the wasm imports %s: %s", h, strings.Join(chain, " → "))
	}
}
