package board

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// start runs the board in-process and returns its address.
func start(t *testing.T, args ...string) (string, context.CancelFunc, chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- Run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), &logs, func(a net.Addr) { addrc <- a })
	}()
	select {
	case a := <-addrc:
		return a.String(), cancel, done
	case err := <-done:
		cancel()
		t.Fatalf("board did not start: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("board did not start within 60 s")
	}
	return "", cancel, done
}

// setup is a model and labelled images for a board test.
type setup struct {
	model       string
	calib, val  string // image folders: calibration, and the dir source (with labels)
	inputW, inH int
}

// setups are the boards the stream tests run: the demo model on synthetic
// scenes (always), and yolov8n 512x288 on COCO (licensed assets).
func setups() []struct {
	name string
	make func(t *testing.T) setup
} {
	return []struct {
		name string
		make func(t *testing.T) setup
	}{
		{"demo-synthetic", func(t *testing.T) setup {
			dir := t.TempDir()
			calib, val := filepath.Join(dir, "calib"), filepath.Join(dir, "val")
			if err := synth.WriteDataset(calib, 11, 0, 4, demoframes.SrcW, demoframes.SrcH); err != nil {
				t.Fatal(err)
			}
			if err := synth.WriteDataset(val, demoframes.Seed, 0, 12, demoframes.SrcW, demoframes.SrcH); err != nil {
				t.Fatal(err)
			}
			return setup{model: demoframes.ModelFile(t), calib: calib, val: val, inputW: demoframes.InputW, inH: demoframes.InputH}
		}},
		{"coco-yolov8n", func(t *testing.T) setup {
			return setup{model: testassets.Path(t, "models", "yolov8n-512x288.onnx"), calib: testassets.Path(t, "coco", "calib"),
				val: testassets.Path(t, "coco", "val"), inputW: 512, inH: 288}
		}},
	}
}

// TestStreamsDecodableFrames: sim engine with two variants (float and an
// 8-bit simulation), two WebSocket clients; each receives the frame image
// and both variants' results; the streamed tensors decode (through
// shared/yolo) to the boxes the message carries; the live AP appears.
func TestStreamsDecodableFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	for _, su := range setups() {
		t.Run(su.name, func(t *testing.T) { streamsDecodableFrames(t, su.make(t)) })
	}
}

func streamsDecodableFrames(t *testing.T, su setup) {
	model := su.model
	m, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dataset.ImageFiles(su.calib)
	if err != nil {
		t.Fatal(err)
	}
	f8, err := quant.Calibrate(context.Background(), m, files[:4], quant.CalibOptions{Bits: 8, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c8 := filepath.Join(t.TempDir(), "int8.txt")
	if err := f8.Save(c8); err != nil {
		t.Fatal(err)
	}
	addr, cancel, done := start(t, "--model", model, "--variant", "float", "--variant", "int8="+c8,
		"--source", "dir:"+su.val, "--threads", "2")
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("board exited: %v", err)
		}
	}()

	resp, err := http.Get("http://" + addr + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	var info Info
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Input != [2]int{su.inputW, su.inH} || len(info.Variants) != 2 || info.Variants[1].Name != "int8" || len(info.Tensors) != 1 {
		t.Fatalf("/api/info %+v", info)
	}

	type got struct {
		images  int
		results map[string]*wire.Result
	}
	clients := make([]got, 2)
	conns := make([]*websocket.Conn, 2)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		clients[i].results = map[string]*wire.Result{}
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(90 * time.Second))
		for len(clients[i].results) < 2 || clients[i].images == 0 {
			_, msg, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			h, err := wire.PeekHeader(msg)
			if err != nil {
				t.Fatalf("client %d: malformed message: %v", i, err)
			}
			switch h.Kind {
			case wire.KindImage:
				if _, err := wire.DecodeImage(msg); err != nil {
					t.Fatal(err)
				}
				clients[i].images++
			case wire.KindResult:
				r, err := wire.DecodeResult(msg)
				if err != nil {
					t.Fatal(err)
				}
				clients[i].results[r.Variant] = r
			}
		}
	}
	// Keep both viewers reading while the test goes on: a viewer that
	// stops reading fills its socket, and the board rightly drops it after
	// the write timeout, which a loaded machine reaches before the live AP.
	for _, c := range conns {
		c.SetReadDeadline(time.Time{})
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	for i, cl := range clients {
		for name, r := range cl.results {
			if r.SrcW == 0 || r.DstW != su.inputW || len(r.Tensors) != 1 || r.Tensors[0].Raw.Type != yolo.RawF16 || r.Tensors[0].Raw.RowStride%16 != 0 {
				t.Fatalf("client %d %s: %+v", i, name, r.Geometry)
			}
			if r.Layout != yolo.Output0 || r.Source == "" || r.Count != 3 {
				t.Fatalf("client %d %s: layout %d, source %q, %d messages in the frame: want output0, the image file, 3 (image + two variants)", i, name, r.Layout, r.Source, r.Count)
			}
			dets, err := r.Request(yolo.DefaultParams()).Decode()
			if err != nil {
				t.Fatal(err)
			}
			// The message's boxes came from float32 outputs; the streamed
			// tensor is F16: scores rounded to binary16 can swap two near-tied
			// anchors of one object, so boxes agree to IoU 0.9, not exactly.
			if len(dets) != len(r.Boxes) {
				t.Fatalf("client %d %s: tensors decode to %d boxes, message has %d", i, name, len(dets), len(r.Boxes))
			}
			for k := range dets {
				if dets[k].ClassID != r.Boxes[k].ClassID || yolo.IoU(dets[k].Box, r.Boxes[k].Box) < 0.9 {
					t.Fatalf("client %d %s box %d: %+v vs %+v", i, name, k, dets[k], r.Boxes[k])
				}
			}
		}
	}
	// The dir source has labels: the live AP appears once 10 frames are
	// scored.
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/info")
		if err != nil {
			t.Fatal(err)
		}
		var live Info
		err = json.NewDecoder(resp.Body).Decode(&live)
		resp.Body.Close()
		if err != nil || len(live.Variants) != 2 {
			t.Fatalf("/api/info: %v, %d variants, want 2", err, len(live.Variants))
		}
		if live.Variants[0].AP != nil && live.Variants[1].AP != nil {
			if *live.Variants[0].AP <= 0 || *live.Variants[0].AP > 1 {
				t.Fatalf("live AP %v", *live.Variants[0].AP)
			}
			t.Logf("live AP after ≥10 frames: float %.3f, int8 %.3f", *live.Variants[0].AP, *live.Variants[1].AP)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no live AP after 90 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	var metrics struct {
		Frames  uint64 `json:"frames"`
		Clients int    `json:"clients"`
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&metrics)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	if metrics.Frames == 0 || metrics.Clients != 2 {
		t.Fatalf("/metrics %+v", metrics)
	}
}

func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	// A calibration file with one record of the demo model: the sim engine
	// must refuse to stream it as 8-bit.
	partial := filepath.Join(dir, "partial.txt")
	os.WriteFile(partial, []byte("layer {\n  name: \"/model.0/conv/Conv\"\n  calc_data_type: S8\n}\n"), 0o644)
	demo := demoframes.ModelFile(t)
	// A recording from a future board: its first message has version 3.
	future := filepath.Join(dir, "future.nsw")
	w, err := recording.Create(future)
	if err != nil {
		t.Fatal(err)
	}
	m := wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 1}, MIME: "image/jpeg", Data: []byte{1}})
	m[4] = 3
	w.Write(m)
	w.Close()
	empty := filepath.Join(dir, "empty.nsw")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", filepath.Join(dir, "missing.onnx")}, "missing.onnx"},
		{[]string{"--engine", "replay", "--recording", filepath.Join(dir, "none.nsw")}, "none.nsw"},
		{[]string{"--listen", "0.0.0.0:0"}, "set --token"},
		{[]string{"--engine", "svp"}, map[bool]string{false: "build tag svp", true: "needs --om"}[svpBuilt]},
		{[]string{"--engine", "svp", "--svp-input", "bgr"}, `--svp-input "bgr": want rgb or yuv420sp`},
		{[]string{"--engine", "nnie"}, map[bool]string{false: "build tag nnie", true: "needs --wk"}[nnieBuilt]},
		{[]string{"--engine", "tpu"}, "want sim, replay, svp or nnie"},
		{[]string{"--model", demo, "--source", "vpss:x"}, "want vpss:GROUP:CHANNEL"},
		{[]string{"--variant", "float=x.txt"}, "takes no calibration file"},
		{[]string{"--model", demo, "--variant", "int8=" + partial}, "--allow-missing-records"},
		{[]string{"--engine", "replay", "--recording", future}, "future.nsw: first message"},
		{[]string{"--engine", "replay", "--recording", empty}, "empty.nsw: not a recording"},
		{[]string{"--record-max-mb", "-1"}, "--record-max-mb -1"},
		{[]string{"--gc-percent", "0"}, "--gc-percent 0"},
		{[]string{"--model", demoframes.DynamicModelFile(t)}, "give the size to run it at with --imgsz WxH"},
	} {
		var logs bytes.Buffer
		err := Run(context.Background(), tc.args, &logs, nil)
		if err == nil || !strings.Contains(err.Error()+logs.String(), tc.want) {
			t.Errorf("%v: %v (%s), want %q", tc.args, err, logs.String(), tc.want)
		}
	}
}

func TestConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "board.conf")
	os.WriteFile(cfg, []byte("# board settings\nlisten 0.0.0.0:9999\nvariant=int8=int8.txt\nfps 5\n"), 0o644)
	args, err := withConfigFile([]string{"--config", cfg, "--listen", "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "--listen=0.0.0.0:9999 --variant=int8=int8.txt --fps=5 --config " + cfg + " --listen 127.0.0.1:1"
	if strings.Join(args, " ") != want {
		t.Fatalf("args %q\nwant %q", strings.Join(args, " "), want)
	}
	// The file's non-loopback listen needs a token, unless the command line
	// overrides it: it does here, so the error is about the missing model.
	var logs bytes.Buffer
	err = Run(context.Background(), []string{"--config", cfg, "--listen", "127.0.0.1:0", "--engine", "sim"}, &logs, nil)
	if err == nil || !strings.Contains(err.Error(), "needs --model") {
		t.Fatalf("error %v", err)
	}
	if _, err := withConfigFile([]string{"--config", filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("missing config file accepted")
	}
}

// TestStreamsOtherFamilies: the sim engine streams YOLO11 (output0, as
// YOLOv8) and YOLOv5 (anchor-major): the embedded family models on
// synthetic scenes, and YOLO11n and YOLOv5n on COCO pictures. Each result
// says its layout, and its F16 tensors decode to the boxes the message
// carries.
func TestStreamsOtherFamilies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the models")
	}
	type family struct {
		name          string
		model, source func(t testing.TB) string
		layout        yolo.Layout
		input         int
		tensors       int
		args          []string
	}
	coco := func(file string) func(t testing.TB) string {
		return func(t testing.TB) string { return testassets.Path(t, "models", file) }
	}
	cocoVal := func(t testing.TB) string { return "dir:" + testassets.Path(t, "coco", "val") }
	synthetic := func(testing.TB) string { return "synthetic" }
	families := []family{{"yolo11n-640.onnx", coco("yolo11n-640.onnx"), cocoVal, yolo.Output0, 640, 1, nil}, {"yolov5n-640.onnx", coco("yolov5n-640.onnx"), cocoVal, yolo.AnchorMajor, 640, 1, nil}}
	for _, m := range familymodels.All() {
		families = append(families, family{m.Name + "-synthetic", m.File, synthetic, m.Layout, 256, 1, nil})
	}
	// YOLOv5 exported without its decode: three level tensors and the
	// anchors (from --anchors: the file has none).
	levels := func(t testing.TB) string {
		raw, _ := familymodels.Levels(t, familymodels.All()[1].ONNX)
		p := filepath.Join(t.TempDir(), "yolov5-levels.onnx")
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	families = append(families, family{"yolov5-levels-synthetic", levels, synthetic, yolo.AnchorLevels, 256, 4, []string{"--anchors", familymodels.YOLOv5Anchors}})
	for _, tc := range families {
		t.Run(tc.name, func(t *testing.T) {
			addr, cancel, done := start(t, append([]string{"--model", tc.model(t), "--variant", "float",
				"--source", tc.source(t), "--threads", "2"}, tc.args...)...)
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("board exited: %v", err)
				}
			}()
			c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for results := 0; results < 2; {
				c.SetReadDeadline(time.Now().Add(90 * time.Second))
				_, msg, err := c.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if h, err := wire.PeekHeader(msg); err != nil || h.Kind != wire.KindResult {
					continue
				}
				r, err := wire.DecodeResult(msg)
				if err != nil {
					t.Fatal(err)
				}
				results++
				if r.Layout != tc.layout || r.DstW != tc.input || len(r.Tensors) != tc.tensors {
					t.Fatalf("layout %d, input %dx%d, %d tensors: want layout %d at %d, %d tensors", r.Layout, r.DstW, r.DstH, len(r.Tensors), tc.layout, tc.input, tc.tensors)
				}
				dets, err := r.Request(yolo.DefaultParams()).Decode()
				if err != nil {
					t.Fatal(err)
				}
				// The message's boxes came from float32 outputs, the tensors
				// are F16: a score next to the 0.25 threshold may land on
				// either side, so boxes clear of it must match both ways.
				if len(r.Boxes) == 0 {
					t.Fatalf("%s: no boxes", r.Source)
				}
				for _, pair := range [][2][]yolo.Detection{{dets, r.Boxes}, {r.Boxes, dets}} {
					for _, d := range pair[0] {
						if d.Score < 0.26 {
							continue
						}
						found := false
						for _, o := range pair[1] {
							found = found || (o.ClassID == d.ClassID && yolo.IoU(o.Box, d.Box) >= 0.9)
						}
						if !found {
							t.Fatalf("%s: box %+v has no counterpart among %+v", r.Source, d, pair[1])
						}
					}
				}
			}
		})
	}
}
