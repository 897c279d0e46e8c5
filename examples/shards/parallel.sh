#!/usr/bin/env bash
# Sharded evaluation on one machine with GNU parallel: N shards, J at a
# time (each shard uses --threads engine threads), then one merge.
#   MODEL=yolov8n.onnx DATA=val/ N=8 J=4 ./parallel.sh --variant float --variant int8=int8.txt
set -euo pipefail
: "${MODEL:?set MODEL}" "${DATA:?set DATA}"
N=${N:-8} J=${J:-4} OUT=${OUT:-shards}
mkdir -p "$OUT"
seq 0 $((N - 1)) | parallel -j "$J" --halt now,fail=1 \
  nniescope eval --model "$MODEL" --data "$DATA" "$@" --threads 1 --shard {}/"$N" --shard-out "$OUT"/shard-{}.json
nniescope eval merge --model "$MODEL" --data "$DATA" --json "$OUT"/eval.json "$OUT"/shard-*.json
