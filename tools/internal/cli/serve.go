package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nniescope/nniescope/webui"
)

// runServe serves the inspection page on a workstation, for recordings
// (drag a .nsw onto it) and `nniescope layers` reports.
func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "serve", "serve [--listen 127.0.0.1:8090]")
	listen := fs.String("listen", "127.0.0.1:8090", "address to serve the page on")
	if err := parse(fs, args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: webui.Handler(webui.FS()), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(env.Stdout, "nniescope: the inspection page is at http://%s/ (drop a recording or a layers report onto it)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
