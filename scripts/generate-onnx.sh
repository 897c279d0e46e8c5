#!/usr/bin/env bash
# Regenerates shared/onnx/onnxpb/onnx.pb.go from the onnx.proto that Debian's
# libonnx-dev ships, with protoc from protobuf-compiler and the protoc-gen-go
# version pinned as a tool in go.mod. The output is committed; CI checks that
# this script reproduces it byte for byte (see shared/onnx/onnxpb/generate_test.go).
set -euo pipefail
cd "$(dirname "$0")/.."
proto=/usr/include/onnx/onnx.proto
missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
[ -f "$proto" ] || missing+=(libonnx-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "generate: missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
out=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
mkdir -p "$out"
protoc -I/usr/include --plugin=protoc-gen-go="$tmp/protoc-gen-go" \
  --go_out="$out" --go_opt=module=github.com/nniescope/nniescope \
  --go_opt=Monnx/onnx.proto=github.com/nniescope/nniescope/shared/onnx/onnxpb \
  onnx/onnx.proto
