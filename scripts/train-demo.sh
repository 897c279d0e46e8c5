#!/bin/bash
# Reproduces the embedded demo model (docs/DEMO.md) and checks it against the
# committed one: generates the training scenes (seed 1) and the held-out
# scenes (seed 2), runs the documented training command, evaluates both the
# new and the committed model on the held-out scenes and fails when their
# AP@[.5:.95] differ by more than 0.02. CPU only, about 18 minutes on 2 cores.
# Needs Debian's python3-torch and python3-pil (apt-get install python3-torch
# python3-pil); it runs /usr/bin/python3 so a pyenv or venv python without
# torch does not shadow them. Usage: scripts/train-demo.sh [OUTDIR]
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
$PY tools/train/train.py --train "$O/train" --out "$O/demo.onnx" --epochs 30 --batch 32 --seed 1 | tee "$O/training.log"
if cmp -s "$O/demo.onnx" internal/demomodel/demo.onnx; then
  echo "train-demo: $O/demo.onnx is byte-identical to the committed model"
fi
$N eval --model internal/demomodel/demo.onnx --data "$O/val" --variant float --json "$O/committed.json" 2>/dev/null
$N eval --model "$O/demo.onnx" --data "$O/val" --variant float --json "$O/rerun.json" 2>/dev/null
$PY - "$O/committed.json" "$O/rerun.json" <<'PY'
import json, sys
c, r = (json.load(open(p))["variants"][0] for p in sys.argv[1:3])
d = r["ap"] - c["ap"]
print(f"held-out AP: committed {c['ap']:.3f} (AP50 {c['ap50']:.3f}), rerun {r['ap']:.3f} (AP50 {r['ap50']:.3f}), difference {d:+.3f}")
if abs(d) > 0.02:
    sys.exit(f"train-demo: the rerun is {d:+.3f} AP from the committed model (allowed: 0.02)")
PY
