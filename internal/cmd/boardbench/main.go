// Command boardbench measures the board binary's budgets: binary size per
// target, peak RSS while streaming yolov8n 512x288 in sim mode to 4
// clients (that run records the stream), engine→client latency with 8
// clients — excluding inference: the recording replayed at 25 fps; then
// with the sim engine on the same cores — message loss, the bandwidth a frame needs raw and deflated, and 32 viewers
// (half negotiating compression) against 1 at the same frame rate:
// malformed messages, partial frames, lost frames against /metrics'
// count, and the server's CPU time with 32 viewers over its CPU time with
// one. `task bench` runs it; it reads the model from ../shared/assets.
package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nniescope/nniescope/internal/rawws"
	"github.com/nniescope/nniescope/shared/wire"
)

func main() {
	assets := flag.String("assets", "../shared/assets", "test assets")
	dur := flag.Duration("duration", 60*time.Second, "length of the 1- and 32-viewer runs")
	latency := flag.Bool("latency", false, "only the 8-viewer latency runs")
	flag.Parse()
	dir, err := os.MkdirTemp("", "boardbench")
	check(err)
	defer os.RemoveAll(dir)
	for _, t := range []struct{ name, goos, goarch, goarm string }{{"linux-amd64", "linux", "amd64", ""}, {"linux-arm", "linux", "arm", "7"}, {"linux-arm64", "linux", "arm64", ""}} {
		out := filepath.Join(dir, t.name)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./firmware/cmd/nniescope-board")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch, "GOARM="+t.goarm)
		b, err := cmd.CombinedOutput()
		if err != nil {
			check(fmt.Errorf("build %s: %v\n%s", t.name, err, b))
		}
		st, _ := os.Stat(out)
		fmt.Printf("binary %-12s %5.1f MB (budget 12 MB)\n", t.name, float64(st.Size())/1e6)
	}
	model := filepath.Join(*assets, "models", "yolov8n-512x288.onnx")
	src := "dir:" + filepath.Join(*assets, "coco", "val")
	bin := filepath.Join(dir, "linux-amd64")
	// The first run records what it streams, for the replay below.
	first := spec{clients: 4, threads: 2, dur: 20 * time.Second, report: true, rssBudget: 48, recordDir: dir}
	if *latency {
		first = spec{clients: 1, threads: 2, dur: 5 * time.Second, rssBudget: 64, recordDir: dir}
	}
	rec := run(bin, model, src, first).recording
	// Latency with 8 viewers. The budget's measure excludes inference:
	// the recorded frames replayed at a camera's 25 fps, so nothing but
	// the stream runs. Then with the simulated NPU computing on the same
	// cores: at the engine's rate on every core, on one core (as a real
	// NPU leaves the CPU to the stream), and at 10 fps.
	run(bin, model, src, spec{clients: 8, fps: 25, dur: 30 * time.Second, rssBudget: 64, replay: rec})
	run(bin, model, src, spec{clients: 8, threads: 2, dur: 30 * time.Second, rssBudget: 64})
	run(bin, model, src, spec{clients: 8, threads: 1, dur: 30 * time.Second, rssBudget: 64})
	run(bin, model, src, spec{clients: 8, threads: 2, fps: 10, dur: 30 * time.Second, rssBudget: 64})
	if *latency {
		return
	}
	// What viewers cost: the same frame rate (5 fps, below the engine's)
	// with 1 and with 32 viewers, half of them negotiating compression.
	one := run(bin, model, src, spec{clients: 1, threads: 2, fps: 5, dur: *dur, rssBudget: 64})
	many := run(bin, model, src, spec{clients: 32, threads: 2, fps: 5, dur: *dur, rssBudget: 64})
	fmt.Printf("server CPU with 32 viewers / with 1: %.2f s / %.2f s = %.2fx (budget 2x)\n", many.cpu, one.cpu, many.cpu/max(one.cpu, 1e-9))
}

// result is what a run measured: the board's CPU time and, when it
// recorded, the recording's path.
type result struct {
	cpu       float64
	recording string
}

// spec is one streaming run: viewers, the sim engine's threads, the frame
// rate (0: the engine's), how long, whether to report message sizes, the
// RSS budget to print; a directory to record the stream into, or a
// recording to replay instead of running the sim engine.
type spec struct {
	clients, threads int
	fps              float64
	dur              time.Duration
	report           bool
	rssBudget        int
	recordDir        string
	replay           string
}

func run(bin, model, src string, sp spec) result {
	clients, fps, dur, report, rssBudget := sp.clients, sp.fps, sp.dur, sp.report, sp.rssBudget
	port := freePort()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Every viewer of the bench comes from this one address.
	args := []string{"--listen", "127.0.0.1:" + strconv.Itoa(port), "--max-conns-per-addr", "64", "--engine", "sim", "--model", model, "--variant", "float", "--source", src, "--threads", strconv.Itoa(sp.threads)}
	engine := "sim"
	if sp.replay != "" {
		args, engine = []string{"--listen", "127.0.0.1:" + strconv.Itoa(port), "--max-conns-per-addr", "64", "--engine", "replay", "--recording", sp.replay}, "replay of the recorded stream"
	}
	if sp.recordDir != "" {
		args = append(args, "--record-dir", sp.recordDir)
	}
	if fps > 0 {
		args = append(args, "--fps", strconv.FormatFloat(fps, 'g', -1, 64))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, _ := cmd.StderrPipe()
	check(cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "serving on") {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	type stat struct {
		msgs, bad, gaps int
		lat             []float64
		raw, deflated   int
		frames, partial int
	}
	stats := make([]stat, clients)
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	cpu0 := cpuSeconds(cmd.Process.Pid)
	val := newValidator()
	for i := range clients {
		v, err := rawws.Dial("127.0.0.1:"+strconv.Itoa(port), "/ws", i%2 == 1)
		check(err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer v.Close()
			// A frame is complete when its Count messages came; one left
			// short when the next frame starts is partial.
			var cur uint64
			got, want := 0, 0
			for time.Now().Before(deadline) {
				v.SetReadDeadline(deadline.Add(time.Second))
				msg, deflated, at, err := v.Next()
				if err != nil {
					return
				}
				h, err := header(msg, deflated)
				if err != nil {
					stats[i].bad++
					continue
				}
				stats[i].msgs++
				stats[i].lat = append(stats[i].lat, float64(at-h.SentNs)/1e6)
				if h.Seq != cur {
					if cur != 0 {
						if want > 0 && got != want {
							stats[i].partial++
						}
						if h.Seq != cur+1 {
							stats[i].gaps += int(h.Seq - cur - 1)
						}
					}
					cur, got, want = h.Seq, 0, int(h.Count)
					stats[i].frames++
				}
				got++
				if deflated && !val.valid(h, msg) || !deflated && !wellFormed(msg, false) {
					stats[i].bad++
				}
				if i == 0 && h.Kind == wire.KindResult && stats[i].frames <= 5 {
					var b bytes.Buffer
					w, _ := flate.NewWriter(&b, flate.HuffmanOnly) // as the board deflates
					w.Write(msg)
					w.Close()
					stats[i].raw += len(msg)
					stats[i].deflated += b.Len()
				}
			}
		}()
	}
	var res result
	if sp.recordDir != "" {
		res.recording = post(port, "/api/record?action=start")
	}
	var peak int
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				if kb := vmRSS(cmd.Process.Pid); kb > peak {
					peak = kb
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	cpu := cpuSeconds(cmd.Process.Pid) - cpu0
	if sp.recordDir != "" {
		post(port, "/api/record?action=stop")
	}
	dropped := metric(port, "dropped")
	cancel()
	cmd.Wait()
	var lat []float64
	var byKind [2][]float64 // viewers without, with compression
	msgs, bad, gaps, frames, partial := 0, 0, 0, 0, 0
	for i, s := range stats {
		lat = append(lat, s.lat...)
		byKind[i%2] = append(byKind[i%2], s.lat...)
		msgs += s.msgs
		bad += s.bad
		gaps += s.gaps
		frames += s.frames
		partial += s.partial
	}
	p99 := percentile99(lat)
	rate := fmt.Sprintf("%s, engine rate, %d engine threads", engine, sp.threads)
	if fps > 0 && sp.replay != "" {
		rate = fmt.Sprintf("%s, %g fps", engine, fps)
	} else if fps > 0 {
		rate = fmt.Sprintf("%s, %g fps, %d engine threads", engine, fps, sp.threads)
	}
	fmt.Printf("%d clients (%s), %s: %d frames, %d messages, %d malformed, %d partial frames, %d frames missing vs %s dropped (counted), latency send→arrival p99 %.1f ms (budget 20 ms), RSS while streaming up to %.0f MB (budget %d MB), server CPU %.2f s\n",
		clients, rate, dur, frames, msgs, bad, partial, gaps, dropped, p99, float64(peak)/1024, rssBudget, cpu)
	if clients > 1 {
		fmt.Printf("  p99 by viewer kind: uncompressed %.1f ms, compressed %.1f ms\n", percentile99(byKind[0]), percentile99(byKind[1]))
	}
	if report && stats[0].raw > 0 {
		n := min(stats[0].frames, 5)
		raw, def := float64(stats[0].raw)/float64(n), float64(stats[0].deflated)/float64(n)
		fmt.Printf("per result message: %.0f KB raw, %.0f KB deflated (Huffman-only, as the board sends it): at 25 fps %.0f / %.0f Mbit/s per variant\n", raw/1e3, def/1e3, raw*25*8/1e6, def*25*8/1e6)
	}
	res.cpu = cpu
	return res
}

func percentile99(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	return v[len(v)*99/100]
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) follow ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// vmRSS is the resident set now: sampled while streaming, its maximum is
// the streaming footprint (the load-time peak is not part of the budget).
func vmRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

func metric(port int, name string) string {
	resp, err := httpGet("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		return "?"
	}
	i := strings.Index(resp, `"`+name+`":`)
	if i < 0 {
		return "?"
	}
	rest := resp[i+len(name)+3:]
	if j := strings.IndexAny(rest, ",}"); j >= 0 {
		return rest[:j]
	}
	return rest
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "boardbench:", err)
		os.Exit(1)
	}
}
