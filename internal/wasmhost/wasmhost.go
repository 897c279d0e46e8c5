// Package wasmhost runs the post-process module (wasm/, built by
// `go tool task wasm:build`) in wazero, the same bytes the browser runs.
package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// ABIVersion is the buffer protocol this host speaks.
const ABIVersion = 1

// MaxMemory bounds the module's linear memory: a stream message is at most
// 64 MiB (recording.MaxMessage) and decoding one needs a few times that.
// A request that needs more makes the module trap with an error.
const MaxMemory = 1 << 30

// reservedMemory backs the module's memory with one allocation of its
// maximum size. Go maps so large an allocation lazily, so only the pages
// the module touches are resident, and growing never copies: wazero's
// default appends, leaving every old copy to the collector (1 GB of host
// heap to decode one 60 MB message).
type reservedMemory struct{ buf []byte }

func reserve(_, max uint64) experimental.LinearMemory {
	return &reservedMemory{buf: make([]byte, 0, min(max, MaxMemory))}
}

func (m *reservedMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		return nil // the module's memory.grow fails: it traps
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *reservedMemory) Free() { m.buf = nil }

// Module is an instantiated post-process module. Not safe for concurrent
// use: the module has one request buffer.
type Module struct {
	rt                                    wazero.Runtime
	mod                                   api.Module
	alloc, decode, status, wireFn, diffFn api.Function
}

// ErrDecode marks a request the module refused (status 1: bad request or
// tensor; 2: internal error); the message is the module's.
var ErrDecode = errors.New("decode refused")

// Load compiles (with a compilation cache in cacheDir, when not empty:
// compiling takes most of a second, loading from cache a few tens of ms)
// and instantiates the module.
func Load(ctx context.Context, wasm []byte, cacheDir string) (*Module, error) {
	cfg := wazero.NewRuntimeConfigCompiler()
	if cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache %s: %w", cacheDir, err)
		}
		cfg = cfg.WithCompilationCache(cache)
	}
	cfg = cfg.WithMemoryLimitPages(MaxMemory >> 16)
	ctx = experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(reserve))
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasmhost: compile: %w", err)
	}
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithStartFunctions("_initialize").WithStdout(os.Stderr).WithStderr(os.Stderr))
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasmhost: instantiate: %w", err)
	}
	m := &Module{rt: rt, mod: mod, alloc: mod.ExportedFunction("nniescope_alloc"), decode: mod.ExportedFunction("nniescope_decode"), status: mod.ExportedFunction("nniescope_status"),
		wireFn: mod.ExportedFunction("nniescope_decode_wire"), diffFn: mod.ExportedFunction("nniescope_diff")}
	ver := mod.ExportedFunction("nniescope_abi_version")
	if m.alloc == nil || m.decode == nil || m.status == nil || m.wireFn == nil || m.diffFn == nil || ver == nil {
		rt.Close(ctx)
		return nil, errors.New("wasmhost: not a nniescope post-process module (exports missing)")
	}
	if v, err := ver.Call(ctx); err != nil || v[0] != ABIVersion {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasmhost: module speaks ABI %v, this host %d", v, ABIVersion)
	}
	return m, nil
}

// LoadFile reads a .wasm file and loads it.
func LoadFile(ctx context.Context, path, cacheDir string) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: %w (build it with `go tool task wasm:build`)", err)
	}
	return Load(ctx, b, cacheDir)
}

// Decode runs one request (yolo.Request.Encode) and returns the module's
// JSON. A refused request returns the JSON and an error wrapping ErrDecode.
func (m *Module) Decode(ctx context.Context, req []byte) ([]byte, error) {
	return m.call(ctx, m.decode, req)
}

// DecodeWire decodes a stream message (docs/WIRE.md) after a 20-byte
// parameter block (score, NMS IoU, min width, min height as f32, max
// detections as u32).
func (m *Module) DecodeWire(ctx context.Context, req []byte) ([]byte, error) {
	return m.call(ctx, m.wireFn, req)
}

// Diff compares two detection sets (docs/POSTPROCESS.md).
func (m *Module) Diff(ctx context.Context, req []byte) ([]byte, error) {
	return m.call(ctx, m.diffFn, req)
}

func (m *Module) call(ctx context.Context, fn api.Function, req []byte) ([]byte, error) {
	r, err := m.alloc.Call(ctx, uint64(len(req)))
	if err != nil {
		return nil, fmt.Errorf("wasmhost: alloc: %w", err)
	}
	if len(req) > 0 && !m.mod.Memory().Write(uint32(r[0]), req) {
		return nil, errors.New("wasmhost: request does not fit the module's memory")
	}
	r, err = fn.Call(ctx, uint64(len(req)))
	if err != nil {
		return nil, fmt.Errorf("wasmhost: decode trapped: %w", err)
	}
	ptr, n := uint32(r[0]>>32), uint32(r[0])
	view, ok := m.mod.Memory().Read(ptr, n)
	if !ok {
		return nil, errors.New("wasmhost: result outside the module's memory")
	}
	out := append([]byte(nil), view...) // the view dies with the next call
	st, err := m.status.Call(ctx)
	if err != nil {
		return nil, err
	}
	if st[0] != 0 {
		return out, fmt.Errorf("wasmhost: %w (status %d): %s", ErrDecode, st[0], out)
	}
	return out, nil
}

// Close releases the runtime.
func (m *Module) Close(ctx context.Context) error { return m.rt.Close(ctx) }
