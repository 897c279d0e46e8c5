// Command nniescope-board is the board binary: it runs the model on every
// frame and streams raw head tensors and RPN output over WebSocket. On a
// workstation the same binary runs the simulated NPU.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nniescope/nniescope/firmware/internal/board"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := board.Run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "nniescope-board:", err)
		os.Exit(1)
	}
}
