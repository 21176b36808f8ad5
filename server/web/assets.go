package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/andybalholm/brotli"
)

// textAsset is one text file of the PWA (script, style sheet, manifest,
// page) held in memory with its brotli and gzip forms, made once when the
// assets are loaded: go-app compresses nothing, and on a slow phone
// network the uncompressed CSS and scripts cost more than the page itself.
type textAsset struct {
	ctype   string
	raw     []byte
	br, gz  []byte
	hash    string // of raw; URLs carrying it as ?v= are cached for a year
	noStore bool   // never cached long (the service worker's own script)
}

func newTextAsset(ctype string, raw []byte) *textAsset {
	sum := sha256.Sum256(raw)
	a := &textAsset{ctype: ctype, raw: raw, hash: hex.EncodeToString(sum[:])[:16]}
	var b bytes.Buffer
	bw := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: 11, LGWin: 24})
	bw.Write(raw)
	bw.Close()
	a.br = bytes.Clone(b.Bytes())
	b.Reset()
	gw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	gw.Write(raw)
	gw.Close()
	a.gz = bytes.Clone(b.Bytes())
	return a
}

// url is path with the content hash, for pages to link to.
func (a *textAsset) url(path string) string { return path + "?v=" + a.hash }

// immutable is the Cache-Control of a URL named by its content hash: the
// bytes behind it never change, so the browser need not even revalidate.
const immutable = "public, max-age=31536000, immutable"

// ServeHTTP answers with the best encoding the browser accepts. A request
// naming the current hash (?v=) may be cached for a year; any other must
// be revalidated (ETag), so an old page never runs with a new script.
func (a *textAsset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	etag := `"` + a.hash + `"`
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if !a.noStore && r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", immutable)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.raw
	accept := r.Header.Get("Accept-Encoding")
	switch {
	case acceptsEncoding(accept, "br"):
		body = a.br
		h.Set("Content-Encoding", "br")
	case acceptsEncoding(accept, "gzip"):
		body = a.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", a.ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// fromHandler asks go-app's handler for one of the files it generates
// (app.js, wasm_exec.js, the manifest, the service worker).
func fromHandler(h http.Handler, path string) []byte {
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: mustURL(path), Header: http.Header{}})
	if rec.status != 0 && rec.status != http.StatusOK {
		return nil
	}
	return rec.body.Bytes()
}

// recorder is the least http.ResponseWriter that keeps what was written.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
