// Command boardbench measures the board binary's budgets: binary size per
// target, peak RSS while streaming yolov8n 512x288 in sim mode to 4
// clients, engine→client latency (excluding inference), message loss with
// 8 clients, and the bandwidth a frame needs raw and deflated. `task
// bench` runs it; it reads the model from ../shared/assets.
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

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/shared/wire"
)

func main() {
	assets := flag.String("assets", "../shared/assets", "test assets")
	dur := flag.Duration("duration", 60*time.Second, "length of the 8-client run")
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
		fmt.Printf("binary %-12s %5.1f MB (budget 15 MB)\n", t.name, float64(st.Size())/1e6)
	}
	model := filepath.Join(*assets, "models", "yolov8n-512x288.onnx")
	src := "dir:" + filepath.Join(*assets, "coco", "val")
	run(filepath.Join(dir, "linux-amd64"), model, src, 4, 20*time.Second, true)
	run(filepath.Join(dir, "linux-amd64"), model, src, 8, *dur, false)
}

func run(bin, model, src string, clients int, dur time.Duration, report bool) {
	port := freePort()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:"+strconv.Itoa(port), "--engine", "sim", "--model", model, "--variant", "float", "--source", src, "--threads", "2")
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
		frames          int
	}
	stats := make([]stat, clients)
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	for i := range clients {
		c, _, err := websocket.DefaultDialer.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/ws", nil)
		check(err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			var last uint64
			for time.Now().Before(deadline) {
				c.SetReadDeadline(deadline.Add(time.Second))
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				h, err := wire.PeekHeader(msg)
				if err != nil {
					stats[i].bad++
					continue
				}
				stats[i].msgs++
				stats[i].lat = append(stats[i].lat, float64(now-h.SentNs)/1e6)
				if h.Kind == wire.KindResult {
					if _, err := wire.DecodeResult(msg); err != nil {
						stats[i].bad++
					}
					if last != 0 && h.Seq != last+1 {
						stats[i].gaps += int(h.Seq - last - 1)
					}
					last = h.Seq
					stats[i].frames++
					if i == 0 && stats[i].frames <= 5 {
						var b bytes.Buffer
						w, _ := flate.NewWriter(&b, 1)
						w.Write(msg)
						w.Close()
						stats[i].raw += len(msg)
						stats[i].deflated += b.Len()
					}
				}
			}
		}()
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
	dropped := metric(port, "dropped")
	cancel()
	cmd.Wait()
	var lat []float64
	msgs, bad, gaps, frames := 0, 0, 0, 0
	for _, s := range stats {
		lat = append(lat, s.lat...)
		msgs += s.msgs
		bad += s.bad
		gaps += s.gaps
		frames += s.frames
	}
	sort.Float64s(lat)
	p99 := 0.0
	if len(lat) > 0 {
		p99 = lat[len(lat)*99/100]
	}
	fmt.Printf("%d clients, %s: %d messages, %d malformed, %d frames missing vs %s dropped (counted), latency send→receive p99 %.1f ms (budget 20 ms), RSS while streaming up to %.0f MB (budget 64 MB)\n",
		clients, dur, msgs, bad, gaps, dropped, p99, float64(peak)/1024)
	if report && stats[0].raw > 0 {
		n := min(stats[0].frames, 5)
		raw, def := float64(stats[0].raw)/float64(n), float64(stats[0].deflated)/float64(n)
		fmt.Printf("per result message: %.0f KB raw, %.0f KB deflated (level 1): at 25 fps %.0f / %.0f Mbit/s per variant\n", raw/1e3, def/1e3, raw*25*8/1e6, def*25*8/1e6)
	}
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
