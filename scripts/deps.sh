#!/usr/bin/env bash
# Installs what the test suite needs when it can (Debian packages as root,
# npm packages into the folders that use them). Where it cannot, it names
# exactly what is missing and fails: tests are never skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A want=(
  [protoc]=protobuf-compiler
  [file]=file
  [qemu-arm-static]=qemu-user-static
  [chromium]=chromium
)
declare -A wantfile=(
  [/usr/include/onnx/onnx.proto]=libonnx-dev
)
pkgs=()
for c in "${!want[@]}"; do command -v "$c" >/dev/null 2>&1 || pkgs+=("${want[$c]}"); done
for f in "${!wantfile[@]}"; do [ -e "$f" ] || pkgs+=("${wantfile[$f]}"); done

if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing Debian packages: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "${pkgs[@]}" >/dev/null; }
  else
    echo "deps: missing Debian packages: ${pkgs[*]}; run: sudo apt-get install ${pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -d ../shared/assets ]; then
  echo "deps: ../shared/assets is missing: the golden tests read the test assets from ../shared beside the checkout" >&2
  exit 1
fi

# npm packages, per folder with a package.json (installed exactly as locked,
# without install scripts: playwright-core must not download a browser).
for dir in webui/test; do
  [ -f "$dir/package.json" ] || continue
  [ -d "$dir/node_modules" ] && continue
  command -v npm >/dev/null 2>&1 || { echo "deps: npm (with Node.js) is missing, needed in $dir" >&2; exit 1; }
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
done
