package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// TestRunFindsWhatAPersonSees runs yolov8n-640 on COCO val 000000000139 (a
// living room): looking at the picture one sees a TV on the left, chairs, a
// person by the refrigerator, a potted plant, vases and a wall clock.
func TestRunFindsWhatAPersonSees(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"run", "--json",
		"--model", testassets.Path(t, "models", "yolov8n-640.onnx"),
		"--image", testassets.Path(t, "coco", "val", "images", "000000000139.jpg")}
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, args); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Detections []struct {
			ClassID int        `json:"class_id"`
			Score   float64    `json:"score"`
			Box     [4]float64 `json:"box"`
			Name    string     `json:"name"`
		} `json:"detections"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	found, names := map[int]bool{}, map[int]string{}
	for _, d := range res.Detections {
		if d.Score < 0.25 {
			t.Errorf("detection below the default threshold: %+v", d)
		}
		if d.Box[0] < 0 || d.Box[2] > 640 || d.Box[1] < 0 || d.Box[3] > 426 || d.Box[0] >= d.Box[2] {
			t.Errorf("box outside the 640x426 image: %+v", d)
		}
		found[d.ClassID] = true
		names[d.ClassID] = d.Name
	}
	want := map[int]string{62: "tv", 56: "chair", 0: "person", 58: "potted plant", 75: "vase", 72: "refrigerator", 74: "clock"}
	for id, name := range want {
		if !found[id] {
			t.Errorf("no %s (class %d) among %d detections", name, id, len(res.Detections))
		}
		// The names come from the export's metadata.
		if found[id] && names[id] != name {
			t.Errorf("class %d is named %q, want %q", id, names[id], name)
		}
	}
}

// TestRunNames: the text output names classes from the model's metadata;
// --names overrides them and must have one name per class.
func TestRunNames(t *testing.T) {
	model := testassets.Path(t, "models", "yolov8n-640.onnx")
	image := testassets.Path(t, "coco", "val", "images", "000000000139.jpg")
	code, out, errb := run(t, "run", "--model", model, "--image", image)
	if code != 0 || !strings.Contains(out, "0 person ") || !strings.Contains(out, "62 tv ") {
		t.Fatalf("exit %d, want names from the metadata:\n%s%s", code, out, errb)
	}
	dir := t.TempDir()
	custom := filepath.Join(dir, "mine.names")
	var lines []string
	for i := range 80 {
		lines = append(lines, fmt.Sprintf("thing%d", i))
	}
	os.WriteFile(custom, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	if code, out, errb := run(t, "run", "--model", model, "--image", image, "--names", custom, "--json"); code != 0 || !strings.Contains(out, `"name":"thing62"`) {
		t.Fatalf("--names: exit %d %s\n%s", code, errb, out)
	}
	short := filepath.Join(dir, "short.names")
	os.WriteFile(short, []byte("a\nb\n"), 0o644)
	if code, _, errb := run(t, "run", "--model", model, "--image", image, "--names", short); code == 0 || !strings.Contains(errb, "2 names for a model of 80 classes") {
		t.Fatalf("2 names for 80 classes: exit %d %s", code, errb)
	}
	// The demo model names the synthetic scenes' classes.
	plain, data := demoData(t, 1)
	if code, out, errb := run(t, "run", "--model", plain, "--image", filepath.Join(data, "images", "000000.png"), "--json"); code != 0 || !strings.Contains(out, `"name":"square"`) {
		t.Fatalf("the demo model: exit %d %s\n%s", code, errb, out)
	}
}

func TestRunErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	model, _ := demoData(t, 0)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing model", []string{"run", "--model", dir + "/nope.onnx", "--image", "x.jpg"}, "nope.onnx"},
		{"not an image", []string{"run", "--model", model, "--image", writeFile(t, dir, "notes.md", "# not an image\n")}, "notes.md"},
		{"truncated model", []string{"run", "--model", writeTrunc(t, dir), "--image", "x.jpg"}, "trunc.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, tc.args)
			msg := errb.String()
			if code != 1 || !strings.Contains(msg, tc.want) || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q: want one line naming %q", code, msg, tc.want)
			}
		})
	}
}

func TestCocoevalCLI(t *testing.T) {
	dir := testassets.Path(t, "cocoeval", "hotcoco_edge_cases")
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"cocoeval", "--json", "--gt", dir + "/gt.json", "--dt", dir + "/dt.json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Stats []float64 `json:"stats"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Stats) != 12 {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if d := res.Stats[0] - 0.712871; d > 1e-6 || d < -1e-6 {
		t.Fatalf("AP %v, want 0.712871", res.Stats[0])
	}
	out.Reset()
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"cocoeval", "--gt", dir + "/gt.json", "--dt", dir + "/dt.json"}); code != 0 {
		t.Fatal(errb.String())
	}
	if !strings.Contains(out.String(), "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.713") {
		t.Fatalf("text output:\n%s", out.String())
	}
}
