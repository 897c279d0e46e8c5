#!/bin/bash
# Reproduces an embedded model and checks it against the committed one: the
# demo model (docs/DEMO.md; ARCH yolov8, the default) or a family test model
# (internal/familymodels, docs/MODELS.md; ARCH yolo11 or yolov5). Generates
# the training scenes (seed 1) and the held-out scenes (seed 2), runs the
# documented training command, evaluates both the new and the committed
# model on the held-out scenes and fails when their AP@[.5:.95] differ by
# more than 0.02. CPU only: about 18 minutes on 2 cores for the demo, 17
# (yolo11) and 8 (yolov5) minutes on one core for the family models.
# Needs Debian's python3-torch and python3-pil (apt-get install python3-torch
# python3-pil); it runs /usr/bin/python3 so a pyenv or venv python without
# torch does not shadow them. Usage: scripts/train-demo.sh [OUTDIR [ARCH]]
set -euo pipefail
cd "$(dirname "$0")/.."
O=${1:-out/train-demo}
PY=/usr/bin/python3
if ! $PY -c 'import torch, PIL' 2>/dev/null; then
  echo "train-demo: $PY cannot import torch and PIL; install Debian's python3-torch and python3-pil" >&2
  exit 1
fi
mkdir -p "$O"
go build -o "$O/nniescope" ./tools/cmd/nniescope
N="$O/nniescope"
[ -d "$O/train" ] || $N synth --out "$O/train" --n 2000 --seed 1 --size 256x256
[ -d "$O/val" ] || $N synth --out "$O/val" --n 200 --seed 2 --size 256x256
ARCH=${2:-yolov8}
case $ARCH in
  yolov8) NAME=demo COMMITTED=internal/demomodel/demo.onnx THREADS=2 ;;
  yolo11|yolov5) NAME=$ARCH COMMITTED=internal/familymodels/$ARCH.onnx THREADS=1 ;;
  *) echo "train-demo: ARCH $ARCH: want yolov8, yolo11 or yolov5" >&2; exit 2 ;;
esac
$PY tools/train/train.py --train "$O/train" --out "$O/$NAME.onnx" --epochs 30 --batch 32 --seed 1 --threads $THREADS --arch $ARCH | tee "$O/$NAME-training.log"
if cmp -s "$O/$NAME.onnx" "$COMMITTED"; then
  echo "train-demo: $O/$NAME.onnx is byte-identical to the committed model"
fi
$N eval --model "$COMMITTED" --data "$O/val" --variant float --json "$O/committed.json" 2>/dev/null
$N eval --model "$O/$NAME.onnx" --data "$O/val" --variant float --json "$O/rerun.json" 2>/dev/null
$PY - "$O/committed.json" "$O/rerun.json" <<'PY'
import json, sys
c, r = (json.load(open(p))["variants"][0] for p in sys.argv[1:3])
d = r["ap"] - c["ap"]
print(f"held-out AP: committed {c['ap']:.3f} (AP50 {c['ap50']:.3f}), rerun {r['ap']:.3f} (AP50 {r['ap50']:.3f}), difference {d:+.3f}")
if abs(d) > 0.02:
    sys.exit(f"train-demo: the rerun is {d:+.3f} AP from the committed model (allowed: 0.02)")
PY
