// Package version holds the build version stamped by the Taskfile
// (-ldflags -X github.com/nniescope/nniescope/shared/version.Version=...).
package version

// Version is set at link time; "dev" for plain `go build`/`go run`.
var Version = "dev"
