// Command avx2peer prepares onnxruntime-node as it runs on an x86-64 CPU
// without AVX-512, so that `task bench` can time the engine against it on
// such a CPU's code paths while running on one with AVX-512 (this
// project's machines have it; onnxruntime has no switch to turn it off).
//
// onnxruntime decides from the XCR0 register, read with XGETBV, whether
// the OS saves AVX-512 state: MLAS and its CPU-info code both require
// bits 5-7 before choosing an AVX-512 kernel. In a copy of the peer's
// library, each of its three XGETBV instructions becomes "push 7; pop
// rax" (the same three bytes): XCR0 reads as x87, SSE and AVX state only,
// so every AVX-512 path is off and the AVX2/FMA3 kernels run. The copy is
// made only for the library build pinned by bench/peer (checked by
// SHA-256, with each patched site checked to hold XGETBV); any other build
// is refused. The engine is narrowed the same way with
// GODEBUG=cpu.avx512f=off.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// pinned is onnxruntime-node 1.30.0's linux/x64 libonnxruntime.so.1 (the
// version bench/peer/package.json pins) and the file offsets of its
// XGETBV instructions (objdump -d; the text segment's offsets equal its
// addresses).
var pinned = pin{"ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23", []int{0x16aba2c, 0x17eb457, 0x1cc778d}}

// pin is a library build and its XGETBV sites.
type pin struct {
	sha256 string
	sites  []int
}

const lib = "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

func main() {
	src := flag.String("peer", "bench/peer", "the peer folder (npm ci'd)")
	out := flag.String("out", "out/bench/peer-avx2", "where to write the AVX2-only copy")
	flag.Parse()
	if err := prepare(*src, *out, pinned); err != nil {
		fmt.Fprintln(os.Stderr, "avx2peer:", err)
		os.Exit(1)
	}
}

func prepare(src, out string, pinned pin) error {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return fmt.Errorf("only for linux/amd64 (this is %s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	b, err := os.ReadFile(filepath.Join(src, lib))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != pinned.sha256 {
		return fmt.Errorf("%s: SHA-256 %s is not the pinned build's (%s): its XGETBV sites are unknown", filepath.Join(src, lib), got, pinned.sha256)
	}
	xgetbv := []byte{0x0f, 0x01, 0xd0}
	for _, at := range pinned.sites {
		if at < 0 || at+3 > len(b) || !bytes.Equal(b[at:at+3], xgetbv) {
			return fmt.Errorf("%s: no XGETBV at %#x", lib, at)
		}
		copy(b[at:], []byte{0x6a, 0x07, 0x58}) // push 7; pop rax
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	// The peer without the other platforms' libraries (hundreds of MB),
	// then the patched one in place of the original.
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if strings.HasPrefix(rel, filepath.FromSlash("node_modules/onnxruntime-node/bin/napi-v6/")) && !strings.HasPrefix(filepath.FromSlash("node_modules/onnxruntime-node/bin/napi-v6/linux/x64"), rel) {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(out, rel), 0o755)
		}
		if !d.Type().IsRegular() || rel == filepath.FromSlash(lib) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, rel), data, 0o644)
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, lib), b, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, "ort.js")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s has no ort.js", src)
	}
	fmt.Printf("avx2peer: %s: onnxruntime with AVX-512 state hidden (%d XGETBV sites patched)\n", out, len(pinned.sites))
	return nil
}
