// Package demomodel embeds nniescope's own demo detector: a small
// YOLOv8-architecture model trained on synthetic scenes (shared/synth) by
// tools/train/train.py; docs/DEMO.md has the command, seed and log.
package demomodel

import _ "embed"

// ONNX is the exported model (input images [1,3,256,256], output0
// [1,8,1344]: cx, cy, w, h and the scores of disc, square, triangle, cross).
//
//go:embed demo.onnx
var ONNX []byte
