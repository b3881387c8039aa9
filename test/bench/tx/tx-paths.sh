#!/bin/bash
# tx-paths.sh: runs tx-paths.c's ways of sending GRE in a namespace pair this script makes
# and deletes (10.253.0.0/24), REPS times each, interleaved. As root; needs gcc, iproute2, nftables.
#   COUNT=2000000 REPS=3 bash test/bench/tx/tx-paths.sh
#   MODES="raw" BATCHES="1 64 1024" bash test/bench/tx/tx-paths.sh   (datagrams per sendmmsg)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
COUNT=${COUNT:-2000000}
REPS=${REPS:-3}
MODES=${MODES:-"raw packet packet-bypass"}
BATCHES=${BATCHES:-1024}
BIN=$(mktemp -d)/tx-paths
A=txp-a-$$ B=txp-b-$$
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$(dirname "$BIN")"; }
trap cleanup EXIT
gcc -O2 -Wall -Wextra -o "$BIN" "$HERE/tx-paths.c"
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add txa0 type veth peer name txb0 netns "$B"
ip -n "$A" addr add 10.253.0.1/24 dev txa0
ip -n "$B" addr add 10.253.0.2/24 dev txb0
ip -n "$A" link set txa0 up
ip -n "$B" link set txb0 up
ip -n "$A" link set lo up
ip -n "$B" link set lo up
# The receiver counts and drops GRE where it arrives, as the benchmark's receiver namespace counts.
ip netns exec "$B" nft add table ip txp
ip netns exec "$B" nft add chain ip txp pre '{ type filter hook prerouting priority 0; }'
ip netns exec "$B" nft add rule ip txp pre ip protocol '{ gre, udp }' counter drop
MAC=$(ip -n "$B" -br link show txb0 | awk '{print $3}')
# The raw socket needs the neighbour; a permanent entry spares the ARP round (and ping, which a minimal image lacks).
ip -n "$A" neigh replace 10.253.0.2 lladdr "$MAC" dev txa0 nud permanent
counted() { ip netns exec "$B" nft list chain ip txp pre | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
for r in $(seq "$REPS"); do
  for mode in $MODES; do
    for batch in $BATCHES; do
      before=$(counted)
      line=$(ip netns exec "$A" env TX_BATCH="$batch" "$BIN" "$mode" txa0 10.253.0.1 10.253.0.2 "$MAC" "$COUNT")
      sleep 0.2
      echo "${line%\}},\"received\":$(( $(counted) - before ))}"
    done
  done
done
