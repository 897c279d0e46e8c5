// Command enginebench times the engine on YOLOv8n against onnxruntime-node
// measured in the same run on the same machine, and prints the ratio, peak
// RSS and allocations per run. `task bench` runs it; it reads the models
// from ../shared/assets (a benchmark input, never a product dependency).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

func main() {
	assets := flag.String("assets", "../shared/assets", "test assets directory")
	threads := flag.Int("threads", 2, "threads for both runtimes")
	runs := flag.Int("runs", 20, "timed runs per model")
	peer := flag.String("peer", "bench/peer/ort.js", "onnxruntime-node script; empty to skip")
	flag.Parse()
	fmt.Printf("engine benchmark: %d threads, median of %d runs, GOMAXPROCS %d\n", *threads, *runs, runtime.GOMAXPROCS(0))
	fmt.Printf("%-22s %12s %14s %8s %12s\n", "model", "nniescope ms", "onnxruntime ms", "ratio", "allocs/run")
	for _, file := range []string{"yolov8n-640.onnx", "yolov8n-512x288.onnx"} {
		path := filepath.Join(*assets, "models", file)
		ms, allocs, err := timeEngine(path, *threads, *runs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "enginebench:", err)
			os.Exit(1)
		}
		peerMS := "n/a"
		ratio := "n/a"
		if *peer != "" {
			p, err := timePeer(*peer, path, *threads, *runs)
			if err != nil {
				fmt.Fprintln(os.Stderr, "enginebench: onnxruntime-node:", err)
				os.Exit(1)
			}
			peerMS = fmt.Sprintf("%.1f", p)
			ratio = fmt.Sprintf("%.2fx", ms/p)
		}
		fmt.Printf("%-22s %12.1f %14s %8s %12.0f\n", file, ms, peerMS, ratio, allocs)
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("nniescope peak RSS (both models loaded in turn): %.0f MB\n", float64(ru.Maxrss)/1024)
}

func timeEngine(path string, threads, runs int) (medianMS, allocsPerRun float64, err error) {
	m, err := onnx.Load(path)
	if err != nil {
		return 0, 0, err
	}
	p, err := engine.Compile(m, engine.Options{Threads: threads})
	if err != nil {
		return 0, 0, err
	}
	s := p.NewSession()
	x := tensor.New(p.Inputs()[0].Shape...)
	for i := range x.F {
		x.F[i] = 0.5
	}
	ctx := context.Background()
	for range 3 {
		if _, err := s.Run(ctx, []*tensor.Tensor{x}, nil); err != nil {
			return 0, 0, err
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ts := make([]float64, runs)
	for i := range ts {
		t0 := time.Now()
		if _, err := s.Run(ctx, []*tensor.Tensor{x}, nil); err != nil {
			return 0, 0, err
		}
		ts[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	runtime.ReadMemStats(&after)
	sort.Float64s(ts)
	return ts[len(ts)/2], float64(after.Mallocs-before.Mallocs) / float64(runs), nil
}

func timePeer(script, model string, threads, runs int) (float64, error) {
	out, err := exec.Command("node", script, model, fmt.Sprint(threads), fmt.Sprint(runs)).Output()
	if err != nil {
		return 0, fmt.Errorf("%v (run `go tool task deps` to install onnxruntime-node)", err)
	}
	var r struct {
		MedianMS float64 `json:"median_ms"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("output %q: %w", out, err)
	}
	return r.MedianMS, nil
}
