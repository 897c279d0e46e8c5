package main

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
)

// TestStaticCrossBuilds builds the board binary for the three targets the
// Taskfile ships, checks that each is a static ELF of the right machine, and
// runs the GOARM=7 one under qemu-arm-static as a Hi3516DV300-class board
// would, fetching /healthz.
func TestStaticCrossBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds take a while; run without -short")
	}
	tests := []struct {
		name    string
		env     []string
		machine elf.Machine
	}{
		{"linux-amd64", []string{"GOOS=linux", "GOARCH=amd64"}, elf.EM_X86_64},
		{"linux-arm", []string{"GOOS=linux", "GOARCH=arm", "GOARM=7"}, elf.EM_ARM},
		{"linux-arm64", []string{"GOOS=linux", "GOARCH=arm64"}, elf.EM_AARCH64},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := filepath.Join(dir, tc.name)
			buildBoard(t, bin, tc.env)
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != tc.machine {
				t.Errorf("machine %v, want %v", f.Machine, tc.machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("has a program interpreter: dynamically linked")
				}
			}
			if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("imports shared libraries %v", libs)
			}
			st, _ := os.Stat(bin)
			t.Logf("%s: %.1f MB", tc.name, float64(st.Size())/1e6)
		})
	}
	t.Run("arm-serves-healthz", func(t *testing.T) { armServesHealthz(t, filepath.Join(dir, "linux-arm")) })
}

func armServesHealthz(t *testing.T, bin string) {
	qemu := testassets.Tool(t, "qemu-arm-static", "qemu-user-static")
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A one-message recording: the replay engine needs no model, which
	// keeps the emulated start fast.
	rec := filepath.Join(t.TempDir(), "r.nsw")
	w, err := recording.Create(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 1}, MIME: "image/jpeg", Data: []byte{0xff, 0xd8}})); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, qemu, bin, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--engine", "replay", "--recording", rec)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "serving on") {
			break
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
	if err != nil {
		t.Fatalf("GET /healthz from the arm binary: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func buildBoard(t *testing.T, out string, env []string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Env = append(os.Environ(), append(env, "CGO_ENABLED=0")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", env, err, b)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
