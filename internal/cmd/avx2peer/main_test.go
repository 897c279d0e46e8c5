package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A peer laid out as npm installs it, with a library of the given bytes
// and another platform's library beside it.
func fakePeer(t *testing.T, libBytes []byte) string {
	t.Helper()
	src := t.TempDir()
	for path, data := range map[string][]byte{
		lib:      libBytes,
		"ort.js": []byte("// peer"),
		"node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node": []byte("binding"),
		"node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/libonnxruntime.dylib":  []byte("other platform"),
		"node_modules/onnxruntime-node/dist/index.js":                                  []byte("module"),
	} {
		p := filepath.Join(src, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func TestPrepare(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("avx2peer is for linux/amd64 only")
	}
	body := bytes.Repeat([]byte{0x90}, 64)
	copy(body[10:], []byte{0x0f, 0x01, 0xd0})
	copy(body[40:], []byte{0x0f, 0x01, 0xd0})
	sum := sha256.Sum256(body)
	p := pin{hex.EncodeToString(sum[:]), []int{10, 40}}

	src, out := fakePeer(t, body), filepath.Join(t.TempDir(), "peer-avx2")
	if err := prepare(src, out, p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, lib))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(body)
	copy(want[10:], []byte{0x6a, 0x07, 0x58})
	copy(want[40:], []byte{0x6a, 0x07, 0x58})
	if !bytes.Equal(got, want) {
		t.Errorf("patched library\n% x\nwant\n% x", got, want)
	}
	for _, f := range []string{"ort.js", "node_modules/onnxruntime-node/dist/index.js", "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("not copied: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "node_modules/onnxruntime-node/bin/napi-v6/darwin")); err == nil {
		t.Error("another platform's libraries were copied")
	}

	// Another build: its sites are unknown, so nothing is written.
	other := bytes.Clone(body)
	other[0] = 0xcc
	out2 := filepath.Join(t.TempDir(), "x")
	if err := prepare(fakePeer(t, other), out2, p); err == nil || !strings.Contains(err.Error(), "is not the pinned build's") {
		t.Errorf("another build: %v", err)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("another build was copied")
	}
	// The pinned build without XGETBV where the pin says (a wrong pin).
	if err := prepare(src, out2, pin{p.sha256, []int{11}}); err == nil || !strings.Contains(err.Error(), "no XGETBV at 0xb") {
		t.Errorf("a wrong site: %v", err)
	}
}
