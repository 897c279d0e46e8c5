#!/usr/bin/env bash
# Runs each fuzz target of the module for the given time, then copies the
# inputs the fuzzer found interesting from the Go cache into the package's
# testdata/fuzz/<Target>, where `go test` replays them on every run. Commit them.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-20s}
cache=$(go env GOCACHE)/fuzz
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "fuzz: $pkg $target ($t)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$t" "$pkg"
    if [ -d "$cache/$pkg/$target" ]; then
      mkdir -p "$dir/testdata/fuzz/$target"
      cp -n "$cache/$pkg/$target"/* "$dir/testdata/fuzz/$target/" 2>/dev/null || true
    fi
  done
done
