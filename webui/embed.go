// Package webui holds the browser UI that the board binary serves. The
// post-process module is copied into static/ by `go tool task wasm:build`
// (not committed), gzipped: the board binary is 1.4 MB smaller for it, and
// browsers take the stored bytes as they are. A binary built without it
// says so on its page.
package webui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// ModuleName is the module's path on the page; ModuleName+".gz" is how it
// is stored.
const ModuleName = "nniescope.wasm"

// maxModule bounds the inflated module (the module is ~2 MB).
const maxModule = 64 << 20

// ErrNoModule: the binary was built without `go tool task wasm:build`.
var ErrNoModule = errors.New("webui: the post-process module is not embedded (build it with `go tool task wasm:build` before the binary)")

// FS is the UI's file tree (index.html, wasm.js, nniescope.wasm.gz when
// built).
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Module returns the post-process module, inflated.
func Module() ([]byte, error) {
	gz, err := fs.ReadFile(FS(), ModuleName+".gz")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoModule
	}
	if err != nil {
		return nil, err
	}
	return inflate(gz)
}

func inflate(gz []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("webui: %s.gz: %w", ModuleName, err)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxModule+1))
	if err == nil && len(b) > maxModule {
		err = fmt.Errorf("inflates past %d bytes", maxModule)
	}
	if err != nil {
		return nil, fmt.Errorf("webui: %s.gz: %w", ModuleName, err)
	}
	return b, nil
}

// Handler serves ui (FS, or a test's tree): files as they are, and
// /nniescope.wasm from its gzipped copy, as stored to clients that accept
// gzip and inflated for the others.
// ContentSecurityPolicy is sent with the page and its files: scripts only
// from the page's own origin (no inline script, no handler attributes: a
// name in a crafted recording or report that slips past escaping cannot
// run), WebAssembly compiled from them ('wasm-unsafe-eval': the
// post-process module), inline styles (the page sets colours per
// variant), images from the origin and the frames it decodes, nothing
// framed or posted elsewhere.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func Handler(ui fs.FS) http.Handler {
	files := http.FileServer(http.FS(ui))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path != "/"+ModuleName {
			files.ServeHTTP(w, r)
			return
		}
		gz, err := fs.ReadFile(ui, ModuleName+".gz")
		if err != nil {
			files.ServeHTTP(w, r) // a tree with the plain module, or none: 404
			return
		}
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz)
			return
		}
		b, err := inflate(gz)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(b)
	})
}

// acceptsGzip reads an Accept-Encoding list: gzip (or *) without q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// EvalReport is a self-contained HTML page of an evaluation report (the
// JSON of `nniescope eval --json`): the page's own report.js inlined with
// the data, so the file shows the plots the inspection page does without
// a server or a network.
func EvalReport(title string, reportJSON []byte) ([]byte, error) {
	js, err := fs.ReadFile(FS(), "report.js")
	if err != nil {
		return nil, err
	}
	css, err := fs.ReadFile(FS(), "style.css")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<!doctype html>\n<meta charset=\"utf-8\">\n<title>")
	template.HTMLEscape(&b, []byte(title))
	b.WriteString("</title>\n<style>\n")
	b.Write(css)
	b.WriteString("</style>\n<section><h2>")
	template.HTMLEscape(&b, []byte(title))
	b.WriteString("</h2><div id=\"report\"></div></section>\n<script type=\"module\">\n")
	b.Write(js)
	// The data as a JSON literal: json.Marshal's output escapes <, > and
	// &, so it cannot close the script element.
	b.WriteString("\ndocument.getElementById('report').innerHTML = renderEval(")
	b.Write(reportJSON)
	b.WriteString(");\n</script>\n")
	return b.Bytes(), nil
}
