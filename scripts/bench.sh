#!/usr/bin/env bash
# Benchmarks. Numbers that matter are printed as ratios against a peer
# measured in the same run: the engine against onnxruntime-node (npm, CPU
# library bundled, installed with --ignore-scripts), kernels against their
# portable Go versions.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d bench/peer/node_modules/onnxruntime-node ]; then
  command -v npm >/dev/null 2>&1 || { echo "bench: npm is missing (it comes with Node.js) for bench/peer" >&2; exit 1; }
  (cd bench/peer && npm ci --ignore-scripts --no-audit --no-fund --silent)
fi
go run ./internal/cmd/enginebench -threads 2
go test -run='^$' -bench=. -benchmem -count=1 ./...
