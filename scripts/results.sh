#!/bin/bash
# Reproduces docs/RESULTS.md: calibrate 8- and 16-bit files on coco/calib,
# splice the stride Mul, evaluate the four variants under each placement
# on coco/val. Needs ../shared/assets beside the checkout. Usage: scripts/results.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
M=../shared/assets/models/yolov8n-512x288.onnx
N="go run ./tools/cmd/nniescope"
O=${1:-out/results}
mkdir -p $O
[ -f $O/int8.txt ] || $N calib --model $M --images ../shared/assets/coco/calib --bits 8 -o $O/int8.txt
[ -f $O/int16.txt ] || $N calib --model $M --images ../shared/assets/coco/calib --bits 16 -o $O/int16.txt
$N calib splice --base $O/int8.txt --from $O/int16.txt --layer /model.22/Mul_2 -o $O/mixed.txt
for pl in literal cube-const fused fused-sym; do
  $N eval --model $M --data ../shared/assets/coco/val --variant float --variant int16=$O/int16.txt --variant int8=$O/int8.txt --variant mixed=$O/mixed.txt --placement $pl --json $O/eval-$pl.json
done
