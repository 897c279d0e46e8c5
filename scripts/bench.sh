#!/usr/bin/env bash
# Benchmarks. Each Go benchmark that has a peer (onnxruntime-node, wazero vs
# native, ...) measures it in the same run and reports the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run='^$' -bench=. -benchmem -count=1 ./...
