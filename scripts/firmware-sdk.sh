#!/usr/bin/env bash
# Builds the board binary against a real HiSilicon SDK, for one chip:
#
#   scripts/firmware-sdk.sh SDK_DIR CHIP [OUT] [TAGS]
#
# SDK_DIR holds include/ and lib/ (the SDK's out/ folder, or a copy of it);
# CHIP is one of
#   hi3516cv500  the NNIE generation (also Hi3516DV300/AV300): 32-bit ARM,
#                the SDK's libraries use the softfp float ABI; default tags
#                'nnie vpss'
#   hi3519dv500  SVP ACL, arm64 (also Hi3516DV500); default tags
#                'svp vpss vpss_ss'
#   hi3516cv610  SVP ACL, 32-bit ARM (hard float); default tags
#                'svp vpss vpss_ss'
# OUT defaults to bin/CHIP/nniescope-board. TAGS replaces the default tags
# (e.g. 'svp' alone, for a board without a camera pipeline).
#
# The compiler is the chip's cross gcc (Debian's packages by default; set
# CC to the vendor toolchain's, e.g. arm-himix200-linux-gcc or
# aarch64-v01c01-linux-musl-gcc, to link against its C library). The
# binary is static by default: the board's root file system then needs
# nothing but the kernel modules the SDK loads. LINK=dynamic links the C
# library dynamically (only with the vendor toolchain, whose C library is
# the board's: models with AI CPU operators need it, libsvp_acl dlopens
# libsvp_aicpu.so for them). NNIESCOPE_KEEP_SYMBOLS=1 keeps the symbol
# table (the tests disassemble the camera shim). The C code refuses implicit function
# declarations and pointer/integer mix-ups (the packages' #cgo CFLAGS),
# so a header that lacks a declaration is a build error, not a truncated
# pointer on the board. docs/BOARD.md explains each choice.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: $0 SDK_DIR CHIP [OUT] [TAGS]   (CHIP: hi3516cv500, hi3519dv500 or hi3516cv610)" >&2
  exit 2
fi
sdk=$(cd "$1" && pwd) || { echo "firmware-sdk: SDK folder $1 does not exist" >&2; exit 2; }
chip=$2
out=${3:-bin/$chip/nniescope-board}
case $chip in
  hi3516cv500)
    goarch=arm; goarm=7; tags='nnie vpss'
    cc=${CC:-arm-linux-gnueabi-gcc -mfloat-abi=softfp -mfpu=neon-vfpv4} ;;
  hi3519dv500)
    goarch=arm64; goarm=; tags='svp vpss vpss_ss'
    cc=${CC:-aarch64-linux-gnu-gcc} ;;
  hi3516cv610)
    goarch=arm; goarm=7; tags='svp vpss vpss_ss'
    cc=${CC:-arm-linux-gnueabihf-gcc} ;;
  *)
    echo "firmware-sdk: unknown chip $chip: want hi3516cv500, hi3519dv500 or hi3516cv610" >&2
    exit 2 ;;
esac
tags=${4:-$tags}
for d in include lib; do
  [ -d "$sdk/$d" ] || { echo "firmware-sdk: $sdk/$d is missing: SDK_DIR must hold the SDK's include/ and lib/ folders" >&2; exit 2; }
done
command -v "${cc%% *}" >/dev/null || { echo "firmware-sdk: the cross compiler ${cc%% *} is missing (Debian: apt-get install gcc-${cc%%-gcc*}; or set CC to the vendor toolchain's gcc)" >&2; exit 2; }
ldflags="-s -w"
[ "${NNIESCOPE_KEEP_SYMBOLS:-0}" = 1 ] && ldflags=
case ${LINK:-static} in
  static) ldflags="$ldflags -extldflags -static" ;;
  dynamic) ;;
  *) echo "firmware-sdk: LINK=${LINK}: want static or dynamic" >&2; exit 2 ;;
esac
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
echo "firmware-sdk: $chip: GOARCH=$goarch${goarm:+ GOARM=$goarm} CC='$cc' tags '$tags', ${LINK:-static} -> $out"
mkdir -p "$(dirname "$out")"
# netgo, osusergo: the pure-Go resolver and user lookup, so the static
# binary never calls glibc's NSS (which would need the build machine's
# shared libraries at run time).
CGO_ENABLED=1 GOOS=linux GOARCH=$goarch GOARM=$goarm CC=$cc \
  CGO_CFLAGS="-I$sdk/include -O2" CGO_LDFLAGS="-L$sdk/lib" \
  go build -trimpath -tags "$tags netgo osusergo" \
  -ldflags "$ldflags -X github.com/nniescope/nniescope/shared/version.Version=$version" \
  -o "$out" ./firmware/cmd/nniescope-board
ls -l "$out"
