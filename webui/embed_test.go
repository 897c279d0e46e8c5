package webui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// TestModuleServedGzipped: the stored gzip goes out as it is to a browser
// that accepts gzip, inflated to a client that does not, and Module
// inflates it for the hosts (replay).
func TestModuleServedGzipped(t *testing.T) {
	module := bytes.Repeat([]byte("\x00asm module "), 1000)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(module)
	w.Close()
	ui := fstest.MapFS{"index.html": {Data: []byte("<p>page</p>")}, ModuleName + ".gz": {Data: gz.Bytes()}}
	h := Handler(ui)
	for _, tc := range []struct {
		accept   string
		encoding string
		body     []byte
	}{
		{"gzip, deflate, br", "gzip", gz.Bytes()},
		{"br;q=1.0, gzip;q=0.8", "gzip", gz.Bytes()},
		{"", "", module},
		{"gzip;q=0", "", module},
		{"identity", "", module},
	} {
		r := httptest.NewRequest(http.MethodGet, "/"+ModuleName, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != tc.encoding || rec.Header().Get("Content-Type") != "application/wasm" || !bytes.Equal(body, tc.body) {
			t.Errorf("Accept-Encoding %q: %d, encoding %q, type %q, %d bytes", tc.accept, rec.Code, rec.Header().Get("Content-Encoding"), rec.Header().Get("Content-Type"), len(body))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 200 || rec.Body.String() != "<p>page</p>" {
		t.Errorf("/: %d %q", rec.Code, rec.Body.String())
	}
	if b, err := inflate(gz.Bytes()); err != nil || !bytes.Equal(b, module) {
		t.Errorf("inflate: %v", err)
	}
	if _, err := inflate([]byte("not gzip")); err == nil {
		t.Error("a corrupt module inflated")
	}
}
