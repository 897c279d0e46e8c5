#!/usr/bin/env bash
# Regenerates the goldens of the embedded models: onnxruntime-node's
# output0 of the demo model (shared/engine/testdata/demo-goldens) and of
# each family model in internal/familymodels (testdata/NAME-goldens) on the
# demoframes scenes. The inputs are rebuilt by the tests from the same
# scenes (their SHA-256 is in index.json), so only the index and the
# outputs are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d bench/peer/node_modules/onnxruntime-node ] || (cd bench/peer && npm ci --ignore-scripts --no-audit --no-fund --silent)
for m in internal/demomodel/demo.onnx internal/familymodels/yolo11.onnx internal/familymodels/yolov5.onnx; do
  name=$(basename "$m" .onnx)
  out=shared/engine/testdata/$name-goldens
  tmp=$(mktemp -d)
  go run ./internal/cmd/demogolden -out "$tmp" -model "$m"
  node bench/peer/golden.js "$m" "$tmp"
  mkdir -p "$out"
  rm -f "$out"/*
  cp "$tmp"/index.json "$tmp"/*.output0.f32 "$out"/
  rm -rf "$tmp"
  echo "wrote $out"
done
