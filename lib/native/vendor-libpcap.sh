#!/usr/bin/env bash
# Refreshes lib/native/libpcap/ (the libpcap release files the addon compiles) and
# lib/native/libpcap-config/linux/config.h from a libpcap release tarball, Debian's .orig:
#   apt-get source --download-only libpcap      # needs a deb-src line beside the deb one
#   lib/native/vendor-libpcap.sh libpcap_1.10.3.orig.tar.gz
# Needs bison and flex (grammar.c and scanner.c are generated here once and committed, so
# building the addon does not need them) and a C compiler (configure). Debian's patches to
# 1.10.3 touch only the Makefile, pcap-config, man sections and the Hurd/kFreeBSD ports, so
# the release files are what Debian's libpcap0.8 compiles on Linux.
set -euo pipefail
tarball=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(echo "$work"/libpcap-*)
# Linux capture only: every optional module that needs another library (or that we do not
# use) off. netfilter (NFLOG/NFQUEUE devices) needs no library but is not wanted either:
# its define is removed from config.h below and pcap-netfilter-linux.c is not compiled.
(cd "$src" && ./configure --with-pcap=linux --disable-shared --disable-usb --disable-netmap \
  --disable-bluetooth --disable-dbus --disable-rdma --disable-remote --without-libnl \
  --without-dag --without-septel --without-snf --without-turbocap --without-dpdk >/dev/null \
  && make grammar.c scanner.c >/dev/null)
grep -q '^#define PCAP_SUPPORT_NETFILTER 1$' "$src/config.h" || { echo "config.h: PCAP_SUPPORT_NETFILTER not where expected" >&2; exit 1; }
for define in PCAP_SUPPORT_{DBUS,RDMASNIFF,BT,BT_MONITOR,LINUX_USBMON,NETMAP,DPDK} HAVE_LIBNL ENABLE_REMOTE HAVE_{DAG,SNF,TC,SEPTEL}_API; do
  ! grep -q "^#define $define " "$src/config.h" || { echo "config.h defines $define" >&2; exit 1; }
done

rm -rf "$here/libpcap" && mkdir -p "$here/libpcap/pcap" "$here/libpcap/missing" "$here/libpcap-config/linux"
{
  echo "/* libpcap $(cat "$src/VERSION") for Linux (glibc), made by configure (lib/native/vendor-libpcap.sh: the"
  echo " * options there) on Debian 12; PCAP_SUPPORT_NETFILTER removed. Used by binding.gyp's libpcap target. */"
  sed -e '/^#define PCAP_SUPPORT_NETFILTER 1$/d' \
      -e 's/^#define SIZEOF_VOID_P 8$/#define SIZEOF_VOID_P __SIZEOF_POINTER__/' "$src/config.h"
} >"$here/libpcap-config/linux/config.h"
# The files binding.gyp compiles, the headers they include (gcc -MM), the sources of the two
# generated files, and the release's licence and documents.
cp "$src"/{LICENSE,README.md,CHANGES,CREDITS,VERSION,grammar.y.in,scanner.l} "$here/libpcap/"
cp "$src"/{grammar.c,grammar.h,scanner.c,scanner.h} "$here/libpcap/"
cp "$src"/{pcap-linux.c,fad-getad.c,pcap.c,gencode.c,optimize.c,nametoaddr.c,etherent.c,fmtutils.c} "$here/libpcap/"
cp "$src"/{pcap-util.c,savefile.c,sf-pcap.c,sf-pcapng.c,pcap-common.c,pcap-usb-linux-common.c} "$here/libpcap/"
cp "$src"/{bpf_image.c,bpf_filter.c,bpf_dump.c} "$here/libpcap/"
cp "$src"/missing/{strlcpy.c,strlcat.c} "$here/libpcap/missing/"
cp "$src"/pcap/*.h "$here/libpcap/pcap/"
(cd "$src" && gcc -MM -DHAVE_CONFIG_H -DBUILDING_PCAP -I. \
  pcap-linux.c fad-getad.c pcap.c gencode.c optimize.c nametoaddr.c etherent.c fmtutils.c pcap-util.c \
  savefile.c sf-pcap.c sf-pcapng.c pcap-common.c pcap-usb-linux-common.c bpf_image.c bpf_filter.c bpf_dump.c \
  grammar.c scanner.c missing/strlcpy.c missing/strlcat.c) \
  | tr ' \\' '\n\n' | grep '\.h$' | grep -v '^/' | grep -v '^config\.h$' | sort -u \
  | while read -r h; do cp "$src/$h" "$here/libpcap/$h"; done
cat >"$here/libpcap/VENDORED" <<EOF
The libpcap release files packet-agent's addon compiles (binding.gyp, target libpcap), unchanged,
from $(basename "$tarball") (sha256 $(sha256sum "$tarball" | cut -d' ' -f1)),
Debian's source of libpcap0.8 $(cat "$src/VERSION"). Licence: LICENSE (BSD). grammar.c/grammar.h and
scanner.c/scanner.h are generated from grammar.y.in and scanner.l by $(bison --version | head -1)
and $(flex --version). Made, and to be remade, by lib/native/vendor-libpcap.sh.
EOF
cat "$here/libpcap/VENDORED"
