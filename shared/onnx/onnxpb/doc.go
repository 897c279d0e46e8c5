// Package onnxpb holds the Go types generated from the official onnx.proto
// (Debian libonnx-dev 1.12) by protoc-gen-go. Regenerate with
// `go tool task generate`; do not edit onnx.pb.go by hand.
package onnxpb
