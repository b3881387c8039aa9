#!/usr/bin/env bash
# Cross-compiles the native addon for Windows x64 on Linux with mingw-w64: build-win/packet_io.node,
# a PE32+ DLL importing Node-API from node.exe, libpcap from wpcap.dll (Npcap), Winsock and IP Helper.
# Proves that the Windows code path (lib/native/*_win.c) compiles and links; it is not run here.
#   Node-API:  node-api-headers (npm devDependency): its headers, and its node_api.def (NAME NODE.EXE)
#              turned into an import library.
#   libpcap:   the public headers of the libpcap 1.10.3 the Linux addon compiles (lib/native/libpcap/pcap/):
#              Npcap's SDK ships the same API (its wpcap.dll is built from libpcap) and the headers have
#              their own _WIN32 branches; scripts/win/wpcap.def for the import library.
# Usage: scripts/cross-build-win.sh [OUTDIR]   (default build-win)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-win}
cc=x86_64-w64-mingw32-gcc
dlltool=x86_64-w64-mingw32-dlltool
napi=node_modules/node-api-headers
for tool in "$cc" "$dlltool"; do
  command -v "$tool" >/dev/null || { echo "cross-build-win: $tool not found (apt-get install mingw-w64)" >&2; exit 1; }
done
[ -f "$napi/include/node_api.h" ] || { echo "cross-build-win: $napi missing (npm ci)" >&2; exit 1; }

# Only our own files in OUTDIR are replaced: it may be a directory the caller owns.
mkdir -p "$out/lib"
rm -f "$out/packet_io.node" "$out/lib/libnode.a" "$out/lib/libwpcap.a"
"$dlltool" --input-def "$napi/def/node_api.def" --output-lib "$out/lib/libnode.a"
"$dlltool" --input-def scripts/win/wpcap.def --output-lib "$out/lib/libwpcap.a"

src=lib/native
# -D__USE_MINGW_ANSI_STDIO: C99 printf formats (%zu, PRIu64) whatever msvcrt.dll supports.
"$cc" -shared -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror \
  -D__USE_MINGW_ANSI_STDIO=1 -I"$napi/include" -Ilib/native/libpcap \
  -o "$out/packet_io.node" \
  "$src/module.c" "$src/args.c" "$src/capture_batch.c" "$src/pcap_capture_win.c" "$src/adapters_win.c" "$src/send_batch.c" "$src/raw_sender_win.c" "$src/win_util.c" "$src/zmq_records.c" "$src/encap_records.c" \
  -L"$out/lib" -lwpcap -lnode -liphlpapi -lws2_32 -static-libgcc -Wl,--no-insert-timestamp
echo "cross-build-win: $out/packet_io.node"
