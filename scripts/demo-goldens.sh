#!/usr/bin/env bash
# Regenerates shared/engine/testdata/demo-goldens: onnxruntime-node's
# output0 of the embedded demo model on the demoframes scenes. The inputs
# are rebuilt by the test from the same scenes (their SHA-256 is in
# index.json), so only the index and the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=shared/engine/testdata/demo-goldens
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -d bench/peer/node_modules/onnxruntime-node ] || (cd bench/peer && npm ci --ignore-scripts --no-audit --no-fund --silent)
go run ./internal/cmd/demogolden -out "$tmp"
node bench/peer/golden.js internal/demomodel/demo.onnx "$tmp"
mkdir -p "$out"
rm -f "$out"/*
cp "$tmp"/index.json "$tmp"/*.output0.f32 "$out"/
echo "wrote $out"
