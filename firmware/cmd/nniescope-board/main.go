// Command nniescope-board is the board binary: it runs the model on every
// frame and streams raw head tensors and RPN output over WebSocket.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/shared/version"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nniescope-board:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("nniescope-board", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve HTTP and WebSocket on")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if *showVersion {
		fmt.Println("nniescope-board", version.Version)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := server.New(server.Config{Listen: *listen})
	return s.Run(ctx, func(a net.Addr) { fmt.Fprintf(os.Stderr, "nniescope-board: serving on http://%s\n", a) })
}
