//go:build wasip1

// Command wasm is the post-process module: the shared YOLOv8 decode built
// once as a wasip1 reactor (-buildmode=c-shared) for the browser and wazero.
package main

// abiVersion lets a host refuse a module whose buffer protocol it does not
// speak; bump it whenever an export's signature or memory layout changes.
//
//go:wasmexport nniescope_abi_version
func abiVersion() uint32 { return 1 }

func main() {}
