package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nniescope/nniescope/shared/version"
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
	mux := http.NewServeMux()
	mux.Handle("/", webui.Handler(webui.FS()))
	// No board behind this page: /api/info says so, and the page opens
	// recordings and reports instead of retrying a stream that is not there.
	mux.HandleFunc("/api/info", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"engine":"offline","model":"","input":[0,0],"variants":[],"tensors":[],"version":%q}`+"\n", version.Version)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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
