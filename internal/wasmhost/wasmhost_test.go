package wasmhost

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime/metrics"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/metrics/boxdiff"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// BuildModule builds wasm/ once per test binary.
func BuildModule(t testing.TB) string { return wasmbuild.Module(t) }

// GoldenRequest is the six-head request of a golden image, mapped back to
// the source image through its letterbox.
func GoldenRequest(t testing.TB, image string) []byte {
	names := []string{"reg8", "cls8", "reg16", "cls16", "reg32", "cls32"}
	shapes := [][]int{{1, 64, 36, 64}, {1, 80, 36, 64}, {1, 64, 18, 32}, {1, 80, 18, 32}, {1, 64, 9, 16}, {1, 80, 9, 16}}
	r := &yolo.Request{Layout: yolo.Heads, Params: yolo.DefaultParams(),
		Geometry: letterbox.Geometry{Scale: 0.676056338028169, PadLeft: 39, SrcW: 640, SrcH: 426, DstW: 512, DstH: 288}}
	for i, n := range names {
		f := testassets.ReadF32(t, testassets.Golden(t, image, n), tensor.Volume(shapes[i]))
		b := make([]byte, 4*len(f))
		for k, v := range f {
			binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
		}
		r.Tensors = append(r.Tensors, yolo.Raw{Type: yolo.RawF32, Shape: shapes[i], Data: b})
	}
	return r.Encode()
}

// frameSet is a named set of F32 decode requests (frameSets lists them).
type frameSet struct {
	name     string
	requests func(testing.TB) [][]byte
}

// frameSets are the request sets every module test runs: the demo model
// on synthetic scenes and each family's own small model (always there),
// and the onnxruntime heads of the COCO goldens and yolov5n on COCO
// pictures (licensed assets: skipped without them).
func frameSets() []frameSet {
	sets := []frameSet{
		{"demo-synthetic", demoframes.Requests},
		{"coco-goldens", func(t testing.TB) [][]byte {
			var reqs [][]byte
			for _, img := range testassets.GoldenImages {
				reqs = append(reqs, GoldenRequest(t, img))
			}
			return reqs
		}},
		{"coco-yolov5n-anchor-major", anchorMajorRequests},
	}
	for _, m := range familymodels.All() {
		sets = append(sets, frameSet{m.Name + "-synthetic", func(t testing.TB) [][]byte { return familyRequests(t, m) }})
	}
	return append(sets, frameSet{"yolov5-levels-synthetic", levelsRequests})
}

// levelsRequests are the YOLOv5 test model's raw levels (the graph cut
// at its level convolutions) on the demo scenes, as anchor-level decode
// requests: the levels by stride, then the anchors the graph holds.
func levelsRequests(t testing.TB) [][]byte {
	fm := familymodels.All()[1]
	m, err := onnx.Decode(fm.ONNX, fm.Name+".onnx")
	if err != nil {
		t.Fatal(err)
	}
	_, levels := familymodels.Levels(t, fm.ONNX)
	p, err := engine.Compile(m, engine.Options{Threads: 2, StopAt: levels})
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.New(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var reqs [][]byte
	for _, i := range demoframes.Frames() {
		x, g := demoframes.Input(t, i)
		if _, err := d.Tensor(context.Background(), x.F, g, yolo.DefaultParams(), nil); err != nil {
			t.Fatal(err)
		}
		r := &yolo.Request{Layout: yolo.AnchorLevels, Params: yolo.DefaultParams(), Geometry: g}
		for _, o := range d.Levels() {
			r.Tensors = append(r.Tensors, f32Raw(d.Outputs()[o]))
		}
		r.Tensors = append(r.Tensors, d.Anchors().Raw())
		reqs = append(reqs, r.Encode())
	}
	return reqs
}

// f32Raw is a float tensor as an F32 request tensor.
func f32Raw(o *tensor.Tensor) yolo.Raw {
	data := make([]byte, 4*len(o.F))
	for i, v := range o.F {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return yolo.Raw{Type: yolo.RawF32, Shape: append([]int(nil), o.Shape...), Scale: 1, Data: data}
}

// familyRequests are an embedded family model's outputs on the demo
// scenes, as decode requests of the model's layout.
func familyRequests(t testing.TB, fm familymodels.Model) [][]byte {
	m, err := onnx.Decode(fm.ONNX, fm.Name+".onnx")
	if err != nil {
		t.Fatal(err)
	}
	var frames []frame
	for _, i := range demoframes.Frames() {
		x, g := demoframes.Input(t, i)
		frames = append(frames, frame{x, g})
	}
	return modelRequests(t, m, fm.Layout, frames)
}

// anchorMajorRequests are yolov5n's outputs on two COCO pictures as
// anchor-major decode requests.
func anchorMajorRequests(t testing.TB) [][]byte {
	m, err := onnx.Load(testassets.Path(t, "models", "yolov5n-640.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var frames []frame
	for _, id := range []string{"000000000139", "000000006040"} {
		img, err := preprocess.Open(testassets.Path(t, "coco", "val", "images", id+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(1, 3, 640, 640)
		g, err := preprocess.Image(img, 640, 640, x.F)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame{x, g})
	}
	return modelRequests(t, m, yolo.AnchorMajor, frames)
}

// frame is a model input and the geometry that made it.
type frame struct {
	x *tensor.Tensor
	g letterbox.Geometry
}

// modelRequests runs m on each frame and encodes its first output as an
// F32 decode request of the layout.
func modelRequests(t testing.TB, m *onnx.Model, layout yolo.Layout, frames []frame) [][]byte {
	p, err := engine.Compile(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSession()
	defer s.Close()
	var reqs [][]byte
	for _, f := range frames {
		outs, err := s.Run(context.Background(), []*tensor.Tensor{f.x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := &yolo.Request{Layout: layout, Params: yolo.DefaultParams(), Geometry: f.g, Tensors: []yolo.Raw{f32Raw(outs[0])}}
		reqs = append(reqs, r.Encode())
	}
	return reqs
}

// GoldenRequestF16 is GoldenRequest as the simulated board streams it.
func GoldenRequestF16(t testing.TB, image string) []byte { return ToF16(t, GoldenRequest(t, image)) }

// ToF16 is an F32 request as the simulated board streams it: F16 tensors
// with rows padded to 16 bytes.
func ToF16(t testing.TB, req []byte) []byte {
	r, err := yolo.ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range r.Tensors {
		if r.Layout == yolo.AnchorLevels && i == len(r.Tensors)-1 {
			break // the anchors go as F32, as the board sends them
		}
		f, err := raw.Float()
		if err != nil {
			t.Fatal(err)
		}
		cols := raw.Shape[len(raw.Shape)-1]
		stride := (2*cols + 15) &^ 15
		b := make([]byte, f.Len()/cols*stride)
		for k, v := range f.F {
			binary.LittleEndian.PutUint16(b[k/cols*stride+2*(k%cols):], tensor.Float32ToFloat16(v))
		}
		r.Tensors[i] = yolo.Raw{Type: yolo.RawF16, Shape: raw.Shape, RowStride: stride, Data: b}
	}
	return r.Encode()
}

// Native decodes with the same Go code, outside the module.
func Native(t testing.TB, req []byte) []byte {
	r, err := yolo.ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	dets, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return yolo.AppendJSON(nil, dets)
}

func TestWazeroMatchesNative(t *testing.T) {
	ctx := context.Background()
	m, err := LoadFile(ctx, BuildModule(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	for _, set := range frameSets() {
		t.Run(set.name, func(t *testing.T) {
			for i, f32 := range set.requests(t) {
				for typ, req := range map[string][]byte{"f32": f32, "f16": ToF16(t, f32)} {
					got, err := m.Decode(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					want := Native(t, req)
					if string(got) != string(want) {
						t.Fatalf("frame %d %s: wazero and native differ:\n%s\n%s", i, typ, got, want)
					}
					if len(want) < 40 {
						t.Fatalf("frame %d %s: no detections to compare: %s", i, typ, want)
					}
				}
			}
		})
	}
	// Bad input is an error code and a message, never a trap; the module
	// keeps working afterwards.
	req := demoframes.Requests(t)[0]
	for _, bad := range [][]byte{req[:100], {1, 2, 3}, nil} {
		out, err := m.Decode(ctx, bad)
		if !errors.Is(err, ErrDecode) || len(out) == 0 {
			t.Fatalf("bad request: %v %s", err, out)
		}
	}
	if _, err := m.Decode(ctx, req); err != nil {
		t.Fatalf("module broken after bad input: %v", err)
	}
}

// BenchmarkDecode: decode + NMS of one 512x288 frame, natively and in
// wazero, from F32 heads and from the F16 heads the board streams.
func BenchmarkDecode(b *testing.B) {
	ctx := context.Background()
	m, err := LoadFile(ctx, BuildModule(b), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	for _, typ := range []string{"f32", "f16"} {
		req := GoldenRequest(b, testassets.GoldenImages[0])
		if typ == "f16" {
			req = GoldenRequestF16(b, testassets.GoldenImages[0])
		}
		b.Run("native/"+typ, func(b *testing.B) {
			for b.Loop() {
				r, _ := yolo.ParseRequest(req)
				dets, _ := r.Decode()
				_ = yolo.AppendJSON(nil, dets)
			}
		})
		b.Run("wazero/"+typ, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Decode(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestModuleSize: the module the board serves and the browser downloads
// stays within 2 MiB (600 KiB gzipped). The gzipped size is that of the
// file served, made as Taskfile's wasm:build makes it (gzip -9 -n); where
// gzip is missing, Go's BestCompression, which is ~0.7% larger, stands in.
// Size is deterministic for a given toolchain, so it is a test rather than
// a benchmark.
func TestModuleSize(t *testing.T) {
	path := BuildModule(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	how := "gzip -9 -n"
	served, err := exec.Command("gzip", "-9", "-n", "-c", path).Output()
	if err != nil {
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(b)
		w.Close()
		served, how = gz.Bytes(), "Go's gzip (no gzip here: "+err.Error()+")"
	}
	t.Logf("module %d bytes, %d gzipped by %s", len(b), len(served), how)
	if len(b) > 2<<20 || len(served) > 600<<10 {
		t.Fatalf("module %d bytes (%d gzipped by %s): over 2 MiB / 600 KiB; look for fmt, sort, os or unicode tables in the module's imports (go list -deps ./wasm)", len(b), len(served), how)
	}
}

// TestWireAndDiffExports: the module decodes a stream message and diffs
// two box sets exactly as shared/yolo and shared/metrics/boxdiff do.
func TestWireAndDiffExports(t *testing.T) {
	ctx := context.Background()
	m, err := LoadFile(ctx, BuildModule(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	for _, set := range frameSets() {
		t.Run(set.name, func(t *testing.T) { wireAndDiff(t, m, set.requests(t)[0]) })
	}
}

func wireAndDiff(t *testing.T, m *Module, raw []byte) {
	ctx := context.Background()
	req, err := yolo.ParseRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	var tensors []wire.Tensor
	for i, r := range req.Tensors {
		tensors = append(tensors, wire.Tensor{Name: fmt.Sprint(i), Raw: r})
	}
	msg := wire.AppendResult(nil, &wire.Result{Header: wire.Header{Seq: 9}, Variant: "int8",
		Geometry: req.Geometry, Layout: req.Layout, Tensors: tensors})
	params := make([]byte, 20)
	binary.LittleEndian.PutUint32(params, math.Float32bits(0.25))
	binary.LittleEndian.PutUint32(params[4:], math.Float32bits(0.7))
	binary.LittleEndian.PutUint32(params[16:], 300)
	got, err := m.DecodeWire(ctx, append(params, msg...))
	if err != nil {
		t.Fatal(err)
	}
	native := Native(t, raw)
	want := fmt.Sprintf(`{"seq":9,"variant":"int8","src":[%d,%d],"letterbox":[%v,%v,%v],`, req.Geometry.SrcW, req.Geometry.SrcH, req.Geometry.Scale, req.Geometry.PadLeft, req.Geometry.PadTop) + string(native[1:])
	if string(got) != want {
		t.Fatalf("decode_wire:\n%s\nwant\n%s", got, want)
	}
	// Diff the golden boxes against themselves shifted by 3 px.
	dets, _ := req.Decode()
	if len(dets) == 0 {
		t.Fatal("the frame has no detections to diff")
	}
	moved := append([]yolo.Detection(nil), dets...)
	for i := range moved {
		moved[i].Box[0] += 3
	}
	moved = moved[1:]
	enc := func(ds []yolo.Detection) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(ds)))
		for _, d := range ds {
			for _, v := range d.Box {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(d.Score))
			b = binary.LittleEndian.AppendUint32(b, uint32(d.ClassID))
		}
		return b
	}
	dreq := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.5))
	dreq = append(append(dreq, enc(dets)...), enc(moved)...)
	gotDiff, err := m.Diff(ctx, dreq)
	if err != nil {
		t.Fatal(err)
	}
	var d boxdiff.Diff
	if err := json.Unmarshal(gotDiff, &d); err != nil {
		t.Fatal(err)
	}
	wantDiff := boxdiff.Compare(dets, moved, 0.5)
	if len(d.Matched) != len(wantDiff.Matched) || len(d.Missed) != len(wantDiff.Missed) || len(d.Extra) != len(wantDiff.Extra) || len(d.Missed) == 0 {
		t.Fatalf("module diff %+v, native %+v", d, wantDiff)
	}
	if _, err := m.DecodeWire(ctx, append(params, msg[:50]...)); !errors.Is(err, ErrDecode) {
		t.Fatalf("truncated message: %v", err)
	}
}

// TestLargeMessageMemory: decoding a 60 MB message (within the 64 MiB a
// recording allows) grows the module's memory without the host copying
// it on each grow: the host allocates little beyond the request itself,
// and the module's memory stays a small multiple of the request.
func TestLargeMessageMemory(t *testing.T) {
	ctx := context.Background()
	m, err := LoadFile(ctx, BuildModule(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	anchors := 60 << 20 / (84 * 2)
	data := make([]byte, 84*anchors*2)
	for i := 4 * anchors * 2; i < len(data); i += 2 {
		data[i+1] = 0x38 // F16 0.5: every anchor a candidate
	}
	req := (&yolo.Request{Layout: yolo.Output0, Params: yolo.Params{ScoreThreshold: 0.001, NMSThreshold: 0.7, MaxDetections: 300},
		Geometry: letterbox.Geometry{SrcW: 640, SrcH: 480, DstW: 640, DstH: 480, Scale: 1},
		Tensors:  []yolo.Raw{{Type: yolo.RawF16, Shape: []int{1, 84, anchors}, Scale: 1, Data: data}}}).Encode()
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(allocs)
	before := allocs[0].Value.Uint64()
	out, err := m.Decode(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	metrics.Read(allocs)
	host := allocs[0].Value.Uint64() - before
	guest := m.mod.Memory().Size()
	t.Logf("%d MB request: host allocated %d MB, module memory %d MB, %d bytes of detections", len(req)>>20, host>>20, guest>>20, len(out))
	if host > uint64(len(req))/2 {
		t.Errorf("the host allocated %d MB to decode a %d MB request (the module's memory is copied as it grows)", host>>20, len(req)>>20)
	}
	if guest > 6*uint32(len(req)) {
		t.Errorf("module memory %d MB for a %d MB request", guest>>20, len(req)>>20)
	}
}
