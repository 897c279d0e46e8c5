// Command nniescope is the workstation CLI: run, evaluate, compare,
// calibrate, splice and search mixed precision for YOLO models on HiSilicon NPUs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/nniescope/nniescope/tools/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Terminal: isTerminal(os.Stderr)}, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal says f is a character device (a terminal): progress bars
// redraw their line there and print plain lines elsewhere.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
