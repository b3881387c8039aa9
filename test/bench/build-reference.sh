#!/usr/bin/env bash
# build-reference.sh - build the C++ reference pktminerg 0.8.4 (Netis cloud-probe) for side-by-side runs.
#
# Usage: build-reference.sh SRC_DIR [BUILD_DIR]
#   SRC_DIR    an extracted cloud-probe source tree (its top CMakeLists.txt; rev 325ae681 = 0.8.4).
#              This script fetches nothing but Debian packages: get the tree yourself (README.md,
#              "Side by side with the C++ reference"); its Windows binaries and prebuilt static
#              libraries (dep/win, dep/unix/lib, dep/unix/suse12sp2lib) are not needed.
#   BUILD_DIR  default SRC_DIR/build; the binary ends up as BUILD_DIR/bin/pktminerg
#
# Steps: installs the Debian build dependencies (apt-get; SKIP_APT=1 skips that), applies
# lib/reference-cmake.patch to SRC_DIR/CMakeLists.txt (once: an already patched tree is left as
# it is), configures a Release build with cmake, builds only the pktminerg target, then prints the
# binary's path and its `-v` output.
#
# Environment:
#   REF_REV   the abbreviated commit to print in `pktminerg -v` when SRC_DIR is not a git checkout
#             (CMakeLists.txt asks git for it; an exported tree has no .git), e.g. REF_REV=325ae681.
#             Hex digits only.
#   JOBS      make -j (default 2)
#   SKIP_APT  1 = do not run apt-get
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PATCH_FILE="$HERE/lib/reference-cmake.patch"
DEB_DEPS=(cmake g++ make pkg-config libpcap-dev libzmq3-dev liblog4cpp5-dev
  libboost-program-options-dev libboost-system-dev libboost-filesystem-dev libboost-date-time-dev)

die() { printf 'build-reference: %s\n' "$*" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,20p' "$0"; exit 2; }
[ -d "$1" ] || die "not a directory: $1"
SRC=$(cd "$1" && pwd)
BUILD=${2:-$SRC/build}
JOBS=${JOBS:-2}
REF_REV=${REF_REV:-}
[[ $JOBS =~ ^[0-9]+$ ]] || die "JOBS must be a number"
[ -z "$REF_REV" ] || [[ $REF_REV =~ ^[0-9a-f]{4,40}$ ]] || die "REF_REV must be hex digits (an abbreviated commit)"
[ -f "$SRC/CMakeLists.txt" ] && grep -q 'PKTMINERG_VERSION_STRING' "$SRC/CMakeLists.txt" \
  || die "$SRC does not look like a cloud-probe source tree (no CMakeLists.txt with PKTMINERG_VERSION_STRING)"

# 1. Debian build dependencies
if [ "${SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${DEB_DEPS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages (install as root): ${missing[*]}"
    echo "build-reference: apt-get install -y ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; } \
      || die "apt-get install failed"
  fi
fi

# 2. the CMake patch (Debian's shared libraries, no packaging copies), once
if grep -q 'perf-side-by-side patch' "$SRC/CMakeLists.txt"; then
  echo "build-reference: $SRC/CMakeLists.txt is already patched"
else
  patch --dry-run --forward -s "$SRC/CMakeLists.txt" "$PATCH_FILE" >/dev/null \
    || die "lib/reference-cmake.patch does not apply to $SRC/CMakeLists.txt (not cloud-probe 0.8.4 / rev 325ae681?)"
  patch --forward -s -b -z .orig "$SRC/CMakeLists.txt" "$PATCH_FILE"
  echo "build-reference: patched $SRC/CMakeLists.txt (original kept as CMakeLists.txt.orig)"
fi

# 3. configure and build. Without a .git of its own, stop git from finding an enclosing repository
# (it would print that repository's commit as the reference's revision).
if [ ! -e "$SRC/.git" ]; then export GIT_CEILING_DIRECTORIES; GIT_CEILING_DIRECTORIES=$(dirname "$SRC"); fi
mkdir -p "$BUILD"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$BUILD/cmake-configure.log" 2>&1 \
  || { tail -30 "$BUILD/cmake-configure.log" >&2; die "cmake configure failed (log: $BUILD/cmake-configure.log)"; }
if [ -n "$REF_REV" ] && grep -q 'PKTMINERG_GIT_COMMIT_HASH ""' "$BUILD/version.h"; then
  # version.h is generated at configure time; with no git revision found, fill in REF_REV
  sed -i "s/PKTMINERG_GIT_COMMIT_HASH \"\"/PKTMINERG_GIT_COMMIT_HASH \"$REF_REV\"/" "$BUILD/version.h"
fi
cmake --build "$BUILD" --target pktminerg -- -j"$JOBS" >"$BUILD/build.log" 2>&1 \
  || { tail -30 "$BUILD/build.log" >&2; die "build failed (log: $BUILD/build.log)"; }

BIN="$BUILD/bin/pktminerg"
[ -x "$BIN" ] || die "built, but $BIN is missing"
echo "build-reference: built $BIN"
# run from BUILD_DIR: pktminerg writes a stray "..\log.txt" into its working directory
(cd "$BUILD" && "$BIN" -v)
