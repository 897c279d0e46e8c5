#!/usr/bin/env bash
# ONNX's backend node tests against the engine: the per-op table of pass,
# refused (with the reason testdata/onnx-node-known.txt lists) and wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -run TestONNXNodeConformance -v ./shared/engine/ | tee out-conformance.log >/dev/null || { cat out-conformance.log; exit 1; }
sed -n '/ONNX node tests/,/refused with a listed reason/p' out-conformance.log | sed 's/^ *conformance_test.go:[0-9]*: //'
rm -f out-conformance.log
