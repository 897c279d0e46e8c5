// Package webui holds the browser UI that the board binary serves. The
// post-process module is copied into static/ by `go tool task wasm:build`
// (not committed); a binary built without it says so on its page.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// FS is the UI's file tree (index.html, wasm.js, nniescope.wasm when built).
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
