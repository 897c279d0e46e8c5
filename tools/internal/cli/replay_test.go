package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestReplay writes a golden frame as a recording (float heads),
// replays it through the module in wazero with their labels, and checks
// the counts against native decoding.
func TestReplay(t *testing.T) {
	dir := t.TempDir()
	names := []string{"reg8", "cls8", "reg16", "cls16", "reg32", "cls32"}
	shapes := [][]int{{1, 64, 36, 64}, {1, 80, 36, 64}, {1, 64, 18, 32}, {1, 80, 18, 32}, {1, 64, 9, 16}, {1, 80, 9, 16}}
	type frame struct {
		Request string `json:"request"`
		Variant string `json:"variant"`
		ImageID int64  `json:"image_id"`
	}
	idx := struct {
		Version int     `json:"version"`
		Frames  []frame `json:"frames"`
	}{Version: 1}
	// The goldens' letterbox geometry (goldens/index.json).
	geo := map[string]letterbox.Geometry{
		"000000000139": {Scale: 0.676056338028169, PadLeft: 39, SrcW: 640, SrcH: 426, DstW: 512, DstH: 288},
	}
	want := 0
	var native []yolo.Detection
	labels := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(labels, "images"), 0o755)
	os.MkdirAll(filepath.Join(labels, "labels"), 0o755)
	for id, g := range geo {
		r := &yolo.Request{Layout: yolo.Heads, Params: yolo.Params{ScoreThreshold: 0.001, NMSThreshold: 0.7, MaxDetections: 300}, Geometry: g}
		for i, n := range names {
			f := testassets.ReadF32(t, testassets.Golden(t, id, n), tensor.Volume(shapes[i]))
			b := make([]byte, 4*len(f))
			for k, v := range f {
				binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
			}
			r.Tensors = append(r.Tensors, yolo.Raw{Type: yolo.RawF32, Shape: shapes[i], Data: b})
		}
		dets, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		want += len(dets)
		native = dets
		name := id + ".bin"
		if err := os.WriteFile(filepath.Join(dir, name), r.Encode(), 0o644); err != nil {
			t.Fatal(err)
		}
		var imageID int64
		fmt.Sscan(strings.TrimLeft(id, "0"), &imageID)
		idx.Frames = append(idx.Frames, frame{Request: name, Variant: "float", ImageID: imageID})
		for _, ext := range []string{"images/" + id + ".jpg", "labels/" + id + ".txt"} {
			b, err := os.ReadFile(testassets.Path(t, "coco", "val", ext))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(labels, ext), b, 0o644)
		}
	}
	b, _ := json.Marshal(idx)
	os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644)
	code, stdout, stderr := run(t, "replay", "--recording", dir, "--labels", labels, "--module", wasmbuild.Module(t), "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %q", code, stderr)
	}
	var res struct {
		Variants []struct {
			Name       string   `json:"name"`
			Frames     int      `json:"frames"`
			Detections int      `json:"detections"`
			AP         *float64 `json:"ap"`
		} `json:"variants"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	// The AP must be what the native evaluator gives for the same boxes.
	set, err := dataset.Load(labels, 80)
	if err != nil {
		t.Fatal(err)
	}
	st, err := eval.Score(set, &eval.Run{Detections: [][]yolo.Detection{native}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Variants) != 1 || res.Variants[0].Frames != 1 || res.Variants[0].Detections != want || res.Variants[0].AP == nil || *res.Variants[0].AP != st[0] || st[0] < 0.2 {
		t.Fatalf("replay %+v, want %d detections and AP %v", res.Variants, want, st[0])
	}
	// A corrupt frame is a clear error naming it.
	os.WriteFile(filepath.Join(dir, "000000000139.bin"), []byte("junk"), 0o644)
	code, _, stderr = run(t, "replay", "--recording", dir, "--module", wasmbuild.Module(t))
	if code != 1 || !strings.Contains(stderr, "000000000139.bin") || !strings.Contains(stderr, "header") {
		t.Fatalf("corrupt frame: exit %d, %q", code, stderr)
	}
}

// TestReplayStreamRecording replays a board recording (.nsw): an image
// message and a result carrying onnxruntime's output0 for a golden frame.
func TestReplayStreamRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.nsw")
	w, err := recording.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f := testassets.ReadF32(t, testassets.Golden(t, "000000000139", "output0"), 84*3024)
	b := make([]byte, 4*len(f))
	for k, v := range f {
		binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
	}
	raw := yolo.Raw{Type: yolo.RawF32, Shape: []int{1, 84, 3024}, Data: b}
	res := &wire.Result{Header: wire.Header{Seq: 1}, Variant: "float",
		Geometry: letterbox.Geometry{SrcW: 640, SrcH: 426, DstW: 512, DstH: 288, Scale: 0.676056338028169, PadLeft: 39},
		Tensors:  []wire.Tensor{{Name: "output0", Raw: raw}}}
	w.Write(wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 1}, MIME: "image/jpeg", Data: []byte{1}}))
	w.Write(wire.AppendResult(nil, res))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want, err := (&yolo.Request{Layout: yolo.Output0, Params: yolo.Params{ScoreThreshold: 0.001, NMSThreshold: 0.7, MaxDetections: 300}, Tensors: []yolo.Raw{raw}}).Decode()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "replay", "--recording", path, "--module", wasmbuild.Module(t), "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %q", code, stderr)
	}
	var out struct {
		Variants []struct {
			Name       string `json:"name"`
			Frames     int    `json:"frames"`
			Detections int    `json:"detections"`
		} `json:"variants"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Variants) != 1 || out.Variants[0].Name != "float" || out.Variants[0].Frames != 1 || out.Variants[0].Detections != len(want) {
		t.Fatalf("replay %+v, want 1 frame with %d detections", out.Variants, len(want))
	}
}
