// Command enginebench times the engine on YOLOv8n against onnxruntime-node
// measured in the same run on the same machine, and prints the ratio, peak
// RSS and allocations per run. `task bench` runs it; it reads the models
// from ../shared/assets (a benchmark input, never a product dependency).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/tensor"
)

func main() {
	assets := flag.String("assets", "../shared/assets", "test assets directory")
	threads := flag.Int("threads", 2, "threads for both runtimes")
	rounds := flag.Int("rounds", 5, "alternating rounds per model")
	runs := flag.Int("runs", 10, "timed runs per round and runtime")
	peer := flag.String("peer", "bench/peer/ort.js", "onnxruntime-node script; empty to skip")
	title := flag.String("title", "", "what this run measures, printed in its header (e.g. the CPU paths both runtimes were narrowed to)")
	sim := flag.Bool("sim", true, "also time the simulation against the float run")
	flag.Parse()
	fmt.Printf("engine benchmark%s: %d threads; %d alternating rounds of %d runs per runtime; medians; GEMM kernel %s\n", *title, *threads, *rounds, *runs, engine.GEMMKernel())
	fmt.Printf("%-22s %12s %14s %8s %12s\n", "model", "nniescope ms", "onnxruntime ms", "ratio", "allocs/run")
	fmt.Println("(target: ratio <= 1.3x)")
	for _, file := range []string{"yolov8n-640.onnx", "yolov8n-512x288.onnx"} {
		if err := benchModel(filepath.Join(*assets, "models", file), file, *peer, *threads, *rounds, *runs); err != nil {
			fmt.Fprintln(os.Stderr, "enginebench:", err)
			os.Exit(1)
		}
	}
	if !*sim {
		return
	}
	if err := benchSimulation(*assets, *threads, *rounds, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "enginebench:", err)
		os.Exit(1)
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("nniescope peak RSS (both models loaded in turn): %.0f MB\n", float64(ru.Maxrss)/1024)
}

// benchModel alternates rounds of the engine and of onnxruntime so that
// machine noise (a shared host) hits both alike; it prints the medians of
// all runs and the median of the per-round ratios.
func benchModel(path, name, peerScript string, threads, rounds, runs int) error {
	m, err := onnx.Load(path)
	if err != nil {
		return err
	}
	p, err := engine.Compile(m, engine.Options{Threads: threads})
	if err != nil {
		return err
	}
	s := p.NewSession()
	x := tensor.New(p.Inputs()[0].Shape...)
	for i := range x.F {
		x.F[i] = 0.5
	}
	ctx := context.Background()
	for range 3 {
		if _, err := s.Run(ctx, []*tensor.Tensor{x}, nil); err != nil {
			return err
		}
	}
	var peer *peerProc
	if peerScript != "" {
		if peer, err = startPeer(peerScript, path, threads); err != nil {
			return fmt.Errorf("onnxruntime-node: %w", err)
		}
		defer peer.close()
	}
	var ours, theirs, ratios []float64
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		ts := make([]float64, runs)
		for i := range ts {
			t0 := time.Now()
			if _, err := s.Run(ctx, []*tensor.Tensor{x}, nil); err != nil {
				return err
			}
			ts[i] = float64(time.Since(t0).Microseconds()) / 1000
		}
		ours = append(ours, ts...)
		if peer != nil {
			pm, err := peer.round(runs)
			if err != nil {
				return err
			}
			theirs = append(theirs, pm)
			ratios = append(ratios, median(ts)/pm)
		}
	}
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / float64(rounds*runs)
	peerMS, ratio := "n/a", "n/a"
	if peer != nil {
		peerMS = fmt.Sprintf("%.1f", median(theirs))
		ratio = fmt.Sprintf("%.2fx", median(ratios))
	}
	fmt.Printf("%-22s %12.1f %14s %8s %12.0f\n", name, median(ours), peerMS, ratio, allocs)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

type peerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPeer(script, model string, threads int) (*peerProc, error) {
	cmd := exec.Command("node", script, model, fmt.Sprint(threads))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%v (is Node.js installed?)", err)
	}
	p := &peerProc{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	if !p.out.Scan() {
		p.close()
		return nil, fmt.Errorf("%s did not start (run `go tool task bench`, which installs onnxruntime-node into bench/peer)", script)
	}
	return p, nil
}

func (p *peerProc) round(runs int) (float64, error) {
	if _, err := fmt.Fprintln(p.in, runs); err != nil {
		return 0, err
	}
	if !p.out.Scan() {
		return 0, fmt.Errorf("onnxruntime-node stopped answering")
	}
	var r struct {
		MedianMS float64 `json:"median_ms"`
	}
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		return 0, fmt.Errorf("onnxruntime-node said %q: %w", p.out.Text(), err)
	}
	return r.MedianMS, nil
}

func (p *peerProc) close() {
	p.in.Close()
	_ = p.cmd.Wait()
}

// benchSimulation times a simulated 8-bit variant of yolov8n 512x288
// against the float run of the same image in the same process, in
// alternating rounds: the kernels' simulation (what eval runs) and the
// node-hook one (what the per-layer analysis runs). The calibration comes
// from 32 of the calibration images.
func benchSimulation(assets string, threads, rounds, runs int) error {
	m, err := onnx.Load(filepath.Join(assets, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		return err
	}
	images, err := dataset.ImageFiles(filepath.Join(assets, "coco", "calib"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	f, err := quant.Calibrate(ctx, m, images[:min(32, len(images))], quant.CalibOptions{Bits: 8, Threads: threads}, nil)
	if err != nil {
		return err
	}
	sim, _, err := quant.New(m, f, quant.Options{Threads: threads})
	if err != nil {
		return err
	}
	float, err := engine.Compile(m, engine.Options{Threads: threads})
	if err != nil {
		return err
	}
	in := float.Inputs()[0]
	x := tensor.New(in.Shape...)
	if _, err := preprocess.File(images[0], in.Shape[3], in.Shape[2], x.F); err != nil {
		return err
	}
	type variant struct {
		name  string
		s     *engine.Session
		hooks *engine.Hooks
		ms    []float64
	}
	vs := []*variant{
		{name: "float", s: float.NewSession()},
		{name: "8-bit, in the kernels", s: sim.Program().NewSession(), hooks: sim.Hooks()},
		{name: "8-bit, node hooks", s: sim.Program().NewSession(), hooks: sim.NodeHooks()},
	}
	for range rounds {
		for _, v := range vs {
			for i := range runs + 1 {
				t0 := time.Now()
				if _, err := v.s.Run(ctx, []*tensor.Tensor{x}, v.hooks); err != nil {
					return err
				}
				if i > 0 { // the first run of a round warms the caches
					v.ms = append(v.ms, float64(time.Since(t0).Microseconds())/1000)
				}
			}
		}
	}
	base := median(vs[0].ms)
	fmt.Printf("simulation, yolov8n-512x288, %d threads (medians): float %.1f ms", threads, base)
	for _, v := range vs[1:] {
		fmt.Printf(" | %s %.1f ms (%.2fx)", v.name, median(v.ms), median(v.ms)/base)
	}
	fmt.Println(" (target: in the kernels <= 1.5x float)")
	return nil
}
