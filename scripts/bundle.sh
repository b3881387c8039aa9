#!/usr/bin/env bash
# npm run bundle [-- --out DIR]: a self-contained packet-agent-<version>-linux-x64.tar.gz in DIR
# (default ./out/): the Node binary running this script (and in lib/ the shared libraries it needs
# that a minimal Debian lacks), dist/lib and dist/cli, the production
# node_modules, the native addon where the build put it, logconfig.json, fixtures/sample.pcap,
# man/, deploy/ (systemd units pointing at the bundle's launchers), README.md, and bin/<command>
# launchers for each command of package.json `bin`. Needs a built addon (`npm ci`) and the npm
# registry or a warm npm cache (`npm ci --omit=dev` into the staging directory). No shell ever
# sees a string built here: every path is a quoted variable.
set -euo pipefail

die() { echo "bundle: $*" >&2; exit 1; }

out=${INIT_CWD:-$PWD}/out
while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || die '--out needs a directory'; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h|--help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (only --out DIR)" ;;
  esac
done
# A relative --out is taken from where npm was run, as the user typed it.
case $out in /*) ;; *) out=${INIT_CWD:-$PWD}/$out ;; esac

cd "$(dirname "$0")/.."
# The node that runs npm (npm_node_execpath), else the one on PATH: its real file is copied.
NODE=$("${npm_node_execpath:-node}" -p 'process.execPath')
platform=$("$NODE" -p 'process.platform + "-" + process.arch')
[ "$platform" = linux-x64 ] || die "builds linux-x64 bundles only; this node is $platform"
version=$("$NODE" -p 'require("./package.json").version')
name=packet-agent-$version-linux-x64
# The commands, from package.json bin: "name path" per line, names checked before use.
commands=$("$NODE" -e '
  const bin = require("./package.json").bin;
  for (const [name, path] of Object.entries(bin)) {
    if (!/^[a-z][a-z0-9-]*$/.test(name) || !/^dist\/cli\/[a-z][a-z0-9-]*\.js$/.test(path)) throw new Error(`unexpected bin entry ${name}: ${path}`);
    console.log(name, path);
  }')

# The addon, wherever the build put it (node-gyp's build/Release, or prebuilds/ for node-gyp-build);
# each is copied to the same relative path, where the loader of dist/lib/native/addon.js looks.
addons=()
for f in build/Release/packet_io.node prebuilds/linux-x64/*.node; do
  [ -f "$f" ] && addons+=("$f")
done
[ ${#addons[@]} -gt 0 ] || die 'no native addon (build/Release/packet_io.node or prebuilds/linux-x64/*.node): run npm ci'

# mtime of every file: SOURCE_DATE_EPOCH, else the last commit, else package.json's (no .git, as in a docker build).
mtime=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || stat -c %Y package.json)}

echo "bundle: npm run build" >&2
npm run --silent build

stage=$(mktemp -d "${TMPDIR:-/tmp}/pa-bundle.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
app=$stage/$name
mkdir -p "$app/dist" "$app/fixtures" "$app/bin"

cp -- "$NODE" "$app/node"
cp -R dist/lib dist/cli "$app/dist/"
find "$app/dist" -name '*.map' -delete
cp -- package.json package-lock.json logconfig.json README.md "$app/"
[ -f LICENSE ] && cp -- LICENSE "$app/"
cp -- fixtures/sample.pcap "$app/fixtures/"
cp -R man deploy "$app/"
for f in "${addons[@]}"; do
  mkdir -p "$app/$(dirname "$f")"
  cp -- "$f" "$app/$f"
done

echo "bundle: npm ci --omit=dev (production dependencies only)" >&2
# --ignore-scripts: our own install script would rebuild the addon; zeromq ships prebuilt binaries.
(cd "$app" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
[ ! -e "$app/node_modules/typescript" ] || die 'a dev dependency (typescript) reached the bundle'
# zeromq's prebuilt binaries for other systems (darwin, win32, linux-arm64): only linux-x64 runs here.
zmq=$app/node_modules/zeromq/build
if [ -d "$zmq/linux/x64" ]; then
  find "$zmq" -mindepth 1 -maxdepth 1 -type d ! -name linux -exec rm -rf -- {} +
  find "$zmq/linux" -mindepth 1 -maxdepth 1 -type d ! -name x64 -exec rm -rf -- {} +
fi

# Launchers: POSIX sh, following symlinks (/usr/local/bin/pktminerg -> /opt/packet-agent/bin/pktminerg)
# to the bundle, then the bundle's node on the command's script.
while read -r cmd path; do
  cat > "$app/bin/$cmd" <<EOF
#!/bin/sh
# $cmd from the packet-agent bundle: the bundle's own node runs $path.
self=\$0
case \$self in */*) ;; *) self=./\$self ;; esac
while [ -L "\$self" ]; do
  link=\$(readlink "\$self")
  case \$link in /*) self=\$link ;; *) self=\${self%/*}/\$link ;; esac
done
root=\$(cd -P "\${self%/*}/.." && pwd)
exec "\$root/node" "\$root/$path" "\$@"
EOF
  chmod 755 "$app/bin/$cmd"
done <<< "$commands"

# The systemd units run the launchers of /opt/packet-agent/bin instead of /usr/bin/node + dist/cli.
for unit in "$app"/deploy/systemd/*.service; do
  sed -i -E \
    -e 's#^ExecStart=/usr/bin/node /opt/packet-agent/dist/cli/([a-z]+)\.js#ExecStart=/opt/packet-agent/bin/\1#' \
    -e 's#\(npm ci && npm run build there\)#(the bundle packet-agent-*-linux-x64.tar.gz unpacked there)#' "$unit"
  if grep -q '^ExecStart=' "$unit" && ! grep -q '^ExecStart=/opt/packet-agent/bin/' "$unit"; then
    die "$unit: ExecStart not rewritten to /opt/packet-agent/bin"
  fi
done

# Shared libraries beyond glibc and the C++ runtime, which every Debian has (ldd lines: name => path).
base_libs='^(linux-vdso|/lib64/ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libstdc\+\+\.|libgcc_s\.)'
beyond_base() { ldd "$1" | awk -v base="$base_libs" '$1 !~ base { print $1, ($2 == "=>" ? $3 : "") }'; }

# Those node needs (Node 26's own Linux build links libatomic.so.1, which a minimal Debian lacks) go to
# lib/, found through a RUNPATH of $ORIGIN/lib on the bundle's copy of node: every way of starting it
# finds them (the launchers, `node dist/cli/...`, the pktminerg processes probedaemon starts), and no
# LD_LIBRARY_PATH reaches other programs.
node_libs=$(beyond_base "$app/node")
if [ -n "$node_libs" ]; then
  command -v patchelf >/dev/null || die 'node needs shared libraries a minimal Debian lacks; bundling them needs patchelf (apt-get install patchelf)'
  mkdir -p "$app/lib"
  while read -r lib path; do
    [ -n "$path" ] && [ -f "$path" ] || die "node needs $lib, which this machine does not have"
    cp -L -- "$path" "$app/lib/$lib"
  done <<< "$node_libs"
  patchelf --set-rpath '$ORIGIN/lib' "$app/node"
fi

for f in "${addons[@]}"; do
  extra=$(beyond_base "$app/$f" | cut -d' ' -f1 | tr '\n' ' ')
  [ -z "$extra" ] || echo "bundle: note: $f needs shared libraries not in the bundle: ${extra% } (on Debian: apt-get install libpcap0.8)" >&2
done

chmod -R u+rwX,go+rX,go-w "$app"
mkdir -p "$out"
tarball=$out/$name.tar.gz
# Deterministic: sorted names, root:root, one mtime, no name or time in the gzip header.
tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" \
  | gzip -6 -n > "$tarball.tmp"
mv -- "$tarball.tmp" "$tarball"
unpacked=$(du -sb "$app" | cut -f1)
packed=$(stat -c %s "$tarball")
echo "bundle: $tarball: $((packed / 1048576)) MiB ($((unpacked / 1048576)) MiB unpacked, node $(($(stat -c %s "$app/node") / 1048576)) MiB)" >&2
echo "$tarball"
