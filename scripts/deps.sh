#!/usr/bin/env bash
# Gets what the tests need beyond Go, saying what and why. It checks first
# and installs only what is missing: Debian packages when it runs as root,
# npm packages into the folders that use them (no root needed). Whatever it
# cannot get, it names; the tests that need it are then skipped with one
# line each, and the suite's last lines count them.
#
# With NNIESCOPE_TEST_FULL=1 (CI sets it) the suite must be complete:
# a missing asset folder or package is an error here, before anything is
# installed, and in the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${NNIESCOPE_TEST_FULL:-0}" in 0 | false | "") full=0 ;; *) full=1 ;; esac
assets=${NNIESCOPE_ASSETS:-../shared/assets}
problems=0

# 1. The licensed test assets, checked before anything is installed.
if [ -f "$assets/MANIFEST.md" ]; then
  echo "deps: test assets: $assets"
elif [ "$full" = 1 ]; then
  echo "deps: NNIESCOPE_TEST_FULL is set but $assets/MANIFEST.md is missing: the complete suite needs the test assets (../shared beside the checkout, or NNIESCOPE_ASSETS=DIR)" >&2
  exit 1
else
  echo "deps: no test assets at $assets: the tests that need them will be skipped (put the project's shared/ folder beside the checkout to run them)"
fi

# 2. Debian packages: what needs each.
declare -A why=(
  [chromium]="the browser tests of the page and of the post-process module"
  [qemu-user-static]="running the arm board binary in the cross-build test"
  [protobuf-compiler]="the test that regenerates shared/onnx/onnxpb"
  [libonnx-dev]="the test that regenerates shared/onnx/onnxpb (onnx.proto)"
  [python3-onnx]="the ONNX backend node tests the engine is checked against (generated at test time)"
  [parallel]="the test that runs the sharded-evaluation example examples/shards/parallel.sh (GNU parallel)"
  [gcc-arm-linux-gnueabihf]="cross-compiling the cgo vendor bindings (svp, nnie, vpss) for 32-bit ARM, run under qemu-arm against their test doubles"
  [libc6-dev-armhf-cross]="the ARM C library and headers those cross-compiled bindings build and run against (only recommended by the compiler package)"
  [gcc-arm-linux-gnueabi]="the bindings built against the Hi3516CV500 SDK, whose libraries use the softfp float ABI (Debian's hard-float compiler refuses them)"
  [libc6-dev-armel-cross]="the soft-float ARM C library those bindings build and run against"
  [gcc-aarch64-linux-gnu]="the bindings built against the Hi3519DV500 SDK (arm64), run under qemu-aarch64, and the board binary linked with its libraries"
  [libc6-dev-arm64-cross]="the arm64 C library those bindings build and run against"
)
pkgs=()
command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ] || pkgs+=(chromium)
command -v qemu-arm-static >/dev/null 2>&1 || pkgs+=(qemu-user-static)
command -v protoc >/dev/null 2>&1 || pkgs+=(protobuf-compiler)
[ -e /usr/include/onnx/onnx.proto ] || pkgs+=(libonnx-dev)
[ -e /usr/lib/python3/dist-packages/onnx/__init__.py ] || pkgs+=(python3-onnx)
command -v parallel >/dev/null 2>&1 || pkgs+=(parallel)
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || pkgs+=(gcc-arm-linux-gnueabihf)
[ -e /usr/arm-linux-gnueabihf/include/stdlib.h ] || pkgs+=(libc6-dev-armhf-cross)
command -v arm-linux-gnueabi-gcc >/dev/null 2>&1 || pkgs+=(gcc-arm-linux-gnueabi)
[ -e /usr/arm-linux-gnueabi/include/stdlib.h ] || pkgs+=(libc6-dev-armel-cross)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || pkgs+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/include/stdlib.h ] || pkgs+=(libc6-dev-arm64-cross)
if [ ${#pkgs[@]} -gt 0 ]; then
  for p in "${pkgs[@]}"; do echo "deps: Debian package $p is missing: needed by ${why[$p]}"; done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing ${pkgs[*]} (apt-get, as root)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; }
  else
    echo "deps: not root, so not installing them: those tests will be skipped (sudo apt-get install ${pkgs[*]} to run them)"
    problems=1
  fi
fi

# 3. npm packages, per folder with a package.json, installed exactly as
# locked and without install scripts (playwright-core must not download a
# browser: it drives Debian's chromium).
for dir in webui/test bench/peer; do
  [ -f "$dir/package.json" ] || continue
  [ -d "$dir/node_modules" ] && continue
  if ! command -v npm >/dev/null 2>&1; then
    echo "deps: npm (Node.js) is missing: needed in $dir, whose tests will be skipped"
    problems=1
    continue
  fi
  case $dir in
    webui/test) why="playwright-core, to drive chromium in the browser tests" ;;
    bench/peer) why="onnxruntime-node, the peer the engine is compared with in tests and benchmarks" ;;
  esac
  echo "deps: installing $dir's npm packages ($why)"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
done

if [ "$problems" = 1 ] && [ "$full" = 1 ]; then
  echo "deps: NNIESCOPE_TEST_FULL is set and something above is missing" >&2
  exit 1
fi
