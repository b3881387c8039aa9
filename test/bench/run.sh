#!/usr/bin/env bash
# run.sh - the packet-agent benchmark suite (`npm run bench`). See test/bench/README.md.
#
# Parts (PARTS, default "micro ceiling live offline profile"):
#   micro    node dist/test/bench/micro.js: pure per-packet code in packets/s (~1 s per case)
#   ceiling  the generator at top speed, CEILING_PKTS frames into the topology with no agent at all
#            (the "agent" is `sleep`): the highest rate this machine can offer the agent
#   live     forward-rate.sh for every TRANSPORT x RATE x PCAP x REPS: the agent captures cap0 in a
#            private namespace and forwards GRE / VXLAN / ZMQ to 10.250.2.2, or only records (dump)
#   offline  pktminerg -f PCAP --dump DIR: wall time -> packets/s, peak RSS (/usr/bin/time -v)
#   profile  one offline run under `node --cpu-prof`, one live run (PROFILE_TRANSPORT at
#            PROFILE_RATE) with every agent process profiled; top-10 self-time functions
# Every run prints one line and appends one JSON line to test/bench/results/<date>.jsonl;
# the end prints summarize.py's tables and lib/targets.py's verdicts for this invocation.
#
# Environment (defaults):
#   PARTS("micro ceiling live offline profile")  CEILING_PKTS(2000000)
#   RATES("50000 100000 200000 400000 800000 1000000 top")
#   GEN(trafgen when installed, else tcpreplay)  what sends the traffic (forward-rate.sh GEN): on a
#        2-vCPU VM tcpreplay -K tops out at ~0.36 Mpps, trafgen (netsniff-ng) at ~1.4 Mpps
#   TRANSPORTS("gre vxlan zmq dump")     PCAPS("small-64B-1M.pcap")   REPS(1)
#   DUR_S(10) MIN_PKTS(500000) TOP_PKTS(10000000)   -- run length, as the reference's run-matrix.sh
#   OFFLINE_PCAPS("small-64B-1M.pcap small-64B-1M-x5.pcap imix-200k-x5.pcap")  OFFLINE_REPS(REPS)
#   MICRO_MS(1000) MICRO_BATCH(512)
#   PROFILE_TRANSPORT(gre) PROFILE_RATE(200000) PROFILE_PCAP(small-64B-1M.pcap)
#   AGENT_OPTS("")     extra pktminerg options for every run (e.g. "-b 64")
#   PCAP_DIR(/tmp/bench)  WORK(/tmp/bench/agent-bench: snapshot, logs, profiles)
#   SNAPSHOT(1)  run a copy of dist/ taken at start, so a concurrent rebuild (npm test starts
#                with rm -rf dist) cannot break a run; 0 = run dist/ in place
#   BUILD(0)     1 = run tsc even when dist/ exists
#   LABEL(packet-agent)  RESULTS_DIR(test/bench/results)  PY(/usr/bin/python3 if present)
#   REFERENCE("")  path of a C++ reference pktminerg (build-reference.sh builds one): every live cell
#        then runs packet-agent and the reference in turn (A, B, A, B ... over REPS), same forward-rate.sh,
#        the reference labelled REFERENCE_LABEL(reference-0.8.4), with its options as ONE argument plus
#        `--control 0` (otherwise its defaults, e.g. -b 256); dump = its own local dump
#        (`--dump DIR/ --interval 0`). It has no -f: the offline part has no reference row.
#   REFERENCE_OPTS("")  extra options inside the reference's one argument (letters, digits, space . _ , : / = + - only)
#   OFFLINE_TCPDUMP(1 when tcpdump is installed)  the offline part also times `tcpdump -r PCAP -w OUT`
#        after each packet-agent run (label tcpdump), for the packets/s ratio
# Live and profile parts need root, iproute2, and: apt-get install -y nftables python3-zmq tcpreplay netsniff-ng
# (tcpdump too, which tcpreplay pulls in on Debian; netsniff-ng brings trafgen).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

PARTS=${PARTS:-"micro ceiling live offline profile"}
RATES=${RATES:-"50000 100000 200000 400000 800000 1000000 top"}
if [ -z "${GEN:-}" ]; then if command -v trafgen >/dev/null; then GEN=trafgen; else GEN=tcpreplay; fi; fi
export GEN
TRANSPORTS=${TRANSPORTS:-"gre vxlan zmq dump"}
PCAPS=${PCAPS:-"small-64B-1M.pcap"}
REPS=${REPS:-1}
DUR_S=${DUR_S:-10}
MIN_PKTS=${MIN_PKTS:-500000}
TOP_PKTS=${TOP_PKTS:-10000000}
OFFLINE_PCAPS=${OFFLINE_PCAPS:-"small-64B-1M.pcap small-64B-1M-x5.pcap imix-200k-x5.pcap"}
OFFLINE_REPS=${OFFLINE_REPS:-$REPS}
MICRO_MS=${MICRO_MS:-1000}
MICRO_BATCH=${MICRO_BATCH:-512}
PROFILE_TRANSPORT=${PROFILE_TRANSPORT:-gre}
CEILING_PKTS=${CEILING_PKTS:-2000000}
PROFILE_RATE=${PROFILE_RATE:-200000}
PROFILE_PCAP=${PROFILE_PCAP:-small-64B-1M.pcap}
AGENT_OPTS=${AGENT_OPTS:-}
PCAP_DIR=${PCAP_DIR:-/tmp/bench}
WORK=${WORK:-$PCAP_DIR/agent-bench}
SNAPSHOT=${SNAPSHOT:-1}
BUILD=${BUILD:-0}
LABEL=${LABEL:-packet-agent}
REFERENCE=${REFERENCE:-}
REFERENCE_LABEL=${REFERENCE_LABEL:-reference-0.8.4}
REFERENCE_OPTS=${REFERENCE_OPTS:-}
if [ -z "${OFFLINE_TCPDUMP:-}" ]; then if command -v tcpdump >/dev/null; then OFFLINE_TCPDUMP=1; else OFFLINE_TCPDUMP=0; fi; fi
RESULTS_DIR=${RESULTS_DIR:-$HERE/results}
if [ -z "${PY:-}" ]; then if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi; fi
export PY

has_part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
say() { printf '%s\n' "$*"; }
die() { say "ERROR: $*" >&2; exit 2; }
FAILED=0

# ---------- the C++ reference (optional) ----------
REF_VERSION=""
if [ -n "$REFERENCE" ]; then
  [ -f "$REFERENCE" ] && [ -x "$REFERENCE" ] || die "REFERENCE=$REFERENCE is not an executable file (test/bench/build-reference.sh builds one)"
  REFERENCE=$(cd "$(dirname "$REFERENCE")" && pwd)/$(basename "$REFERENCE")
  # it goes into forward-rate.sh's `bash -c "exec $AGENT_CMD"`: only plain option characters
  [[ $REFERENCE_OPTS =~ ^[A-Za-z0-9\ ._,:/=+-]*$ ]] || die "REFERENCE_OPTS may hold only letters, digits, space and . _ , : / = + -"
  [[ $REFERENCE_LABEL =~ ^[A-Za-z0-9._+-]+$ ]] || die "REFERENCE_LABEL may hold only letters, digits and . _ + -"
  # from a scratch directory: pktminerg writes a stray "..\log.txt" into its working directory
  ref_tmp=$(mktemp -d)
  REF_VERSION=$(cd "$ref_tmp" && "$REFERENCE" -v 2>&1 | sed -n 's/^~ *pktminerg version //p' | head -1)
  rm -rf "$ref_tmp"
  [ -n "$REF_VERSION" ] || die "REFERENCE=$REFERENCE: \`-v\` does not print a pktminerg version"
fi

# ---------- build, snapshot, logging ----------
ADDON=build/Release/packet_io.node
if [ "$BUILD" = 1 ] || [ ! -f "$ROOT/$ADDON" ]; then
  say "building the capture addon: npm run install (in $ROOT)"
  (cd "$ROOT" && npm run install >/dev/null) || die "the capture addon did not build (needs g++, make, python3)"
fi
if [ "$BUILD" = 1 ] || [ ! -f "$ROOT/dist/cli/pktminerg.js" ] || [ ! -f "$ROOT/dist/test/bench/micro.js" ]; then
  say "building: npx tsc -p . (in $ROOT)"
  (cd "$ROOT" && npx tsc -p .) || say "warning: tsc reported errors (it still emits); continuing if dist/ is complete"
fi
[ -f "$ROOT/dist/cli/pktminerg.js" ] && [ -f "$ROOT/dist/test/bench/micro.js" ] || die "build failed: dist/cli/pktminerg.js or dist/test/bench/micro.js missing"

mkdir -p "$WORK" "$RESULTS_DIR" "$PCAP_DIR"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$RESULTS_DIR/$(date -u +%F).jsonl"
RUN_JSONL="$WORK/run-$RUN_ID.jsonl"
LOGS="$WORK/logs-$RUN_ID"
mkdir -p "$LOGS"
: >"$RUN_JSONL"

if [ "$SNAPSHOT" = 1 ]; then
  SNAP="$WORK/snap-$RUN_ID"
  mkdir -p "$SNAP"
  cp -a "$ROOT/dist" "$SNAP/dist" && cp "$ROOT/package.json" "$SNAP/" || die "snapshot of dist/ failed"
  # dist/lib/native/addon.js loads the addon from ../../../build/Release (node-gyp-build, from the package root).
  mkdir -p "$SNAP/$(dirname "$ADDON")" && cp "$ROOT/$ADDON" "$SNAP/$ADDON" || die "snapshot of the capture addon failed"
  ln -s "$ROOT/node_modules" "$SNAP/node_modules"
  ln -s "$ROOT/fixtures" "$SNAP/fixtures"
  DIST="$SNAP/dist"
else
  DIST="$ROOT/dist"
fi
AGENT="$DIST/cli/pktminerg.js"

# The same log4js configuration as test/helpers/cli.ts: stderr only, so no log file is written.
export PKTMINERG_LOG_CONFIG="$WORK/log4js-stderr.json"
cat >"$PKTMINERG_LOG_CONFIG" <<'EOF'
{"appenders":{"console":{"type":"stderr","layout":{"type":"pattern","pattern":"[%d{yyyy-MM-dd hh:mm:ss}][%p] %m"}}},"categories":{"default":{"appenders":["console"],"level":"info"}}}
EOF

# record JSON_LINE...: adds the run id and appends to this run's file and to results/<date>.jsonl
record() {
  local l
  for l in "$@"; do
    [ -n "$l" ] || continue
    l="{\"run\": \"$RUN_ID\", ${l#\{}"
    printf '%s\n' "$l" >>"$RUN_JSONL"
    printf '%s\n' "$l" >>"$OUT"
  done
}
# field KEY "RESULT k=v ..." -> v
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# ---------- machine ----------
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- lib cli 2>/dev/null || GIT_REV="$GIT_REV+dirty"
say "== packet-agent bench $RUN_ID: $(nproc) CPU ($CPU_MODEL), kernel $(uname -r), node $(node --version), agent rev $GIT_REV"
say "   parts: $PARTS; results: $OUT"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
say "   load average now: $LOAD (other work on the machine skews the live figures)"
[ -n "$REFERENCE" ] && say "   reference: $REFERENCE, pktminerg $REF_VERSION (label $REFERENCE_LABEL)"
record "{\"meta\": true, \"label\": \"$LABEL\", \"nproc\": $(nproc), \"cpu\": \"$CPU_MODEL\", \"kernel\": \"$(uname -r)\", \"node\": \"$(node --version)\", \"rev\": \"$GIT_REV\", \"loadavg\": \"$LOAD\", \"parts\": \"$PARTS\", \"rates\": \"$RATES\", \"gen\": \"$GEN\", \"reps\": $REPS, \"dur_s\": $DUR_S, \"reference\": \"$REF_VERSION\", \"reference_label\": \"$([ -n "$REFERENCE" ] && echo "$REFERENCE_LABEL")\"}"

# ---------- test traffic ----------
need_x5=0
case " $OFFLINE_PCAPS $PROFILE_PCAP " in *-x5.pcap*) need_x5=1 ;; esac
if [ "$need_x5" = 1 ] && { has_part offline || has_part profile; }; then
  "$PY" "$HERE/make-pcaps.py" --out-dir "$PCAP_DIR" --repeat 5 | sed 's/^/pcaps: /'
else
  "$PY" "$HERE/make-pcaps.py" --out-dir "$PCAP_DIR" | sed 's/^/pcaps: /'
fi

# ---------- (a) micro-benchmarks ----------
if has_part micro; then
  say "== micro-benchmarks (${MICRO_MS} ms each, batch $MICRO_BATCH)"
  tmp="$WORK/micro-$RUN_ID.jsonl"
  : >"$tmp"
  node "$DIST/test/bench/micro.js" --ms "$MICRO_MS" --batch "$MICRO_BATCH" --json "$tmp" --label "$LABEL" || { say "micro failed"; FAILED=1; }
  while IFS= read -r l; do record "$l"; done <"$tmp"
  rm -f "$tmp"
fi

# ---------- live prerequisites ----------
live_ok=1
if has_part live || has_part profile || has_part ceiling; then
  miss=""
  [ "$(id -u)" = 0 ] || miss="$miss root"
  for t in ip nft tcpreplay tcpdump "$GEN"; do command -v "$t" >/dev/null || miss="$miss $t"; done
  case " $TRANSPORTS " in *" zmq "*) "$PY" -c 'import zmq' 2>/dev/null || miss="$miss python3-zmq($PY)" ;; esac
  if [ -n "$miss" ]; then
    say "SKIPPING live runs, missing:$miss  (as root: apt-get install -y nftables python3-zmq tcpreplay netsniff-ng)"
    live_ok=0; FAILED=1
  fi
fi

agent_cmd() { # TRANSPORT -> AGENT_CMD with forward-rate.sh placeholders
  case $1 in
    gre) echo "node $AGENT -i {CAP_IF} -r {RCV_IP} -k {GRE_KEY} $AGENT_OPTS" ;;
    vxlan) echo "node $AGENT -i {CAP_IF} -r {RCV_IP} -n {VNI} -x {VXLAN_PORT} $AGENT_OPTS" ;;
    zmq) echo "node $AGENT -i {CAP_IF} -r {RCV_IP} -z {ZMQ_PORT} $AGENT_OPTS" ;;
    dump) echo "node $AGENT -i {CAP_IF} --dump {DUMP_DIR} $AGENT_OPTS" ;;
    *) return 1 ;;
  esac
}

ref_cmd() { # TRANSPORT -> AGENT_CMD for the C++ reference: all its options as ONE argument, --control 0
  local bin opts
  bin=$(printf '%q' "$REFERENCE")
  case $1 in
    gre) opts="-i {CAP_IF} -r {RCV_IP} -k {GRE_KEY}" ;;
    vxlan) opts="-i {CAP_IF} -r {RCV_IP} -n {VNI} -x {VXLAN_PORT}" ;;
    zmq) opts="-i {CAP_IF} -r {RCV_IP} -z {ZMQ_PORT}" ;;
    # its local dump: --interval 0 = one file, DIR/<interface>/pktminerg_dump.pcap (DIR needs the
    # trailing slash: it is concatenated); no -r = nothing forwarded
    dump) opts="-i {CAP_IF} --dump {DUMP_DIR}/ --interval 0" ;;
    *) return 1 ;;
  esac
  echo "$bin \"$opts --control 0${REFERENCE_OPTS:+ $REFERENCE_OPTS}\""
}

declare -A NPK=()
pcap_records() { # PATH -> REPLY = number of records (cached; call it outside $(...))
  [ -n "${NPK[$1]:-}" ] || NPK[$1]=$("$PY" "$HERE/lib/pcap-count.py" "$1" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
  REPLY=${NPK[$1]}
}

# live_run PCAP TRANSPORT RATE LABEL [AGENT_CMD]: one forward-rate.sh run, one printed line, one JSON row
LIVE_RUNS=0
live_run() {
  local pcap=$1 t=$2 r=$3 label=$4 cmd=${5:-} npk lim loops line rowf
  [ -n "$cmd" ] || cmd=$(agent_cmd "$t") || { say "unknown transport $t"; FAILED=1; return; }
  pcap_records "$PCAP_DIR/$pcap"; npk=$REPLY
  if [ "$r" = top ]; then lim=$TOP_PKTS; else lim=$(( r * DUR_S )); [ "$lim" -lt "$MIN_PKTS" ] && lim=$MIN_PKTS; fi
  loops=$(( (lim + npk - 1) / npk ))
  rowf="$WORK/row.jsonl"; : >"$rowf"
  # One agent log per run (numbered in the order run), so a repetition does not overwrite the last one's.
  LIVE_RUNS=$(( LIVE_RUNS + 1 ))
  line=$(AGENT_CMD=$cmd LOOPS=$loops LIMIT=$lim RESULTS_FILE=$rowf LABEL=$label \
         AGENT_LOG_COPY="$LOGS/$LIVE_RUNS-$label-${pcap%.pcap}-$t-$r.log" "$HERE/forward-rate.sh" -p "$PCAP_DIR/$pcap" -t "$t" -r "$r" 2>"$LOGS/forward-rate.err" | grep '^RESULT')
  if [ -z "$line" ]; then
    say "live  $t rate=$r: run FAILED: $(tail -3 "$LOGS/forward-rate.err" | tr '\n' ' ')"; FAILED=1; return
  fi
  while IFS= read -r l; do record "$l"; done <"$rowf"
  local sent rcv ratio cpu us rss fwd ex spps
  sent=$(field sent "$line"); rcv=$(field received "$line"); ratio=$(field ratio "$line"); spps=$(field send_pps "$line")
  cpu=$(field cpu_pct "$line"); us=$(field cpu_us_pkt "$line"); rss=$(field tree_hwm_kb "$line")
  fwd=$(field fwd_pps "$line"); ex=$(field agent_exit "$line")
  printf 'live  %-18s %-5s rate=%-7s sent=%-9s (%s/s) received=%-9s ratio=%7.3f%%  cpu=%5.1f%%  %6.2f µs/pkt  peakRSS=%4d MB  fwd=%s/s exit=%s%s\n' \
    "$pcap" "$t" "$r" "$sent" "$spps" "$rcv" "$(awk -v x="$ratio" 'BEGIN{print 100*x}')" "$cpu" "$us" "$(( ${rss:-0} / 1024 ))" "$fwd" "$ex" \
    "$([ "$label" = "$LABEL" ] || echo " [$label]")"
}

# ---------- generator ceiling ----------
if has_part ceiling && [ "$live_ok" = 1 ]; then
  say "== ceiling: $GEN at top speed, $CEILING_PKTS frames, no agent (transport none; 'sleep' stands in for the agent)"
  for pcap in $PCAPS; do TOP_PKTS=$CEILING_PKTS live_run "$pcap" none top "replay-only" "sleep 3600"; done
fi

# ---------- (b) live matrix ----------
if has_part live && [ "$live_ok" = 1 ]; then
  say "== live ($GEN): transports [$TRANSPORTS] x rates [$RATES] x pcaps [$PCAPS] x $REPS rep(s), ~${DUR_S} s each (top: $TOP_PKTS pkts)"
  [ -n "$REFERENCE" ] && say "   each cell: $LABEL, then $REFERENCE_LABEL ($(ref_cmd gre))"
  for rep in $(seq "$REPS"); do
    for pcap in $PCAPS; do
      for t in $TRANSPORTS; do
        for r in $RATES; do
          live_run "$pcap" "$t" "$r" "$LABEL"
          if [ -n "$REFERENCE" ]; then live_run "$pcap" "$t" "$r" "$REFERENCE_LABEL" "$(ref_cmd "$t")"; fi
        done
      done
    done
  done
fi

# ---------- (c) offline ----------
# offline_run PCAP LABEL [NODE_FLAGS]: pktminerg -f PCAP --dump DIR under /usr/bin/time -v
offline_run() {
  local pcap=$1 label=$2 flags=${3:-} path="$PCAP_DIR/$1" out="$WORK/offline-out" tv="$WORK/time-v.txt"
  local npk size wall rss ut st rec
  [ -r "$path" ] || { say "offline: $path missing"; FAILED=1; return; }
  pcap_records "$path"; npk=$REPLY
  size=$(stat -c %s "$path")
  rm -rf "$out"; mkdir -p "$out"
  cat "$path" >/dev/null   # page cache, as the reference's tcpdump -r test
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$tv" node $flags "$AGENT" -f "$path" --dump "$out" $AGENT_OPTS >"$LOGS/$label-offline-${pcap%.pcap}.log" 2>&1 \
    || { say "offline $pcap: agent failed: $(tail -3 "$LOGS/$label-offline-${pcap%.pcap}.log" | tr '\n' ' ')"; FAILED=1; return; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tv" | awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; print s}')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
  ut=$(sed -n 's/.*User time (seconds): //p' "$tv"); st=$(sed -n 's/.*System time (seconds): //p' "$tv")
  rec=$("$PY" "$HERE/lib/pcap-count.py" "$out" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
  local row
  # summarize.py groups offline rows by test name and pcap only: a variant (profiled) run gets its own name
  local tn=offline_dump; [ "$label" = "$LABEL" ] || tn="offline_dump[$label]"
  row=$(awk -v tn="$tn" -v p="$pcap" -v n="$npk" -v rec="$rec" -v w="$wall" -v sz="$size" -v rss="$rss" -v ut="$ut" -v st="$st" -v l="$label" 'BEGIN{
    pps=(w>0)?n/w:0; mbps=(w>0)?sz/w/1e6:0; cpu=ut+st;
    printf "{\"test\": \"%s\", \"pcap\": \"%s\", \"label\": \"%s\", \"packets\": %d, \"recorded\": %d, \"wall_s\": %.3f, \"pps\": %.0f, \"MBps\": %.1f, \"peak_rss_kb\": %d, \"cpu_s\": %.2f, \"cpu_us_pkt\": %.3f}",
      tn, p, l, n, rec, w, pps, mbps, rss, cpu, (n>0)?cpu*1e6/n:0 }')
  record "$row"
  [ "$rec" = "$npk" ] || { say "offline $pcap: recorded $rec of $npk packets"; FAILED=1; }
  printf 'offline %-22s packets=%-8s recorded=%-8s wall=%6.2f s  %5.2f Mpkt/s  %6.1f MB/s  cpu=%.2f s (%.3f µs/pkt)  peakRSS=%4d MB%s\n' \
    "$pcap" "$npk" "$rec" "$wall" "$(awk -v n="$npk" -v w="$wall" 'BEGIN{print (w>0)?n/w/1e6:0}')" \
    "$(awk -v s="$size" -v w="$wall" 'BEGIN{print (w>0)?s/w/1e6:0}')" "$(awk -v a="$ut" -v b="$st" 'BEGIN{print a+b}')" \
    "$(awk -v a="$ut" -v b="$st" -v n="$npk" 'BEGIN{print (n>0)?(a+b)*1e6/n:0}')" "$(( ${rss:-0} / 1024 ))" \
    "$([ "$label" = "$LABEL" ] || echo " [$label]")"
  rm -rf "$out"
}

# tcpdump_offline_run PCAP: `tcpdump -r PCAP -w OUT` under /usr/bin/time -v, the same fields as
# offline_run (label tcpdump): the C++ reference has no -f, so this is the offline comparison
tcpdump_offline_run() {
  local pcap=$1 path="$PCAP_DIR/$1" out="$WORK/offline-out" tv="$WORK/time-v.txt" log="$LOGS/tcpdump-offline-${1%.pcap}.log"
  local npk size wall rss ut st rec row
  [ -r "$path" ] || { say "offline: $path missing"; FAILED=1; return; }
  pcap_records "$path"; npk=$REPLY
  size=$(stat -c %s "$path")
  rm -rf "$out"; mkdir -p "$out"
  cat "$path" >/dev/null
  /usr/bin/time -v -o "$tv" tcpdump -r "$path" -w "$out/tcpdump.pcap" >"$log" 2>&1 \
    || { say "offline $pcap: tcpdump failed: $(tail -3 "$log" | tr '\n' ' ')"; FAILED=1; return; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tv" | awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; print s}')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
  ut=$(sed -n 's/.*User time (seconds): //p' "$tv"); st=$(sed -n 's/.*System time (seconds): //p' "$tv")
  rec=$("$PY" "$HERE/lib/pcap-count.py" "$out" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
  row=$(awk -v p="$pcap" -v n="$npk" -v rec="$rec" -v w="$wall" -v sz="$size" -v rss="$rss" -v ut="$ut" -v st="$st" 'BEGIN{
    pps=(w>0)?n/w:0; mbps=(w>0)?sz/w/1e6:0; cpu=ut+st;
    printf "{\"test\": \"offline_dump\", \"pcap\": \"%s\", \"label\": \"tcpdump\", \"tool\": \"tcpdump -r -w\", \"packets\": %d, \"recorded\": %d, \"wall_s\": %.3f, \"pps\": %.0f, \"MBps\": %.1f, \"peak_rss_kb\": %d, \"cpu_s\": %.2f, \"cpu_us_pkt\": %.3f}",
      p, n, rec, w, pps, mbps, rss, cpu, (n>0)?cpu*1e6/n:0 }')
  record "$row"
  [ "$rec" = "$npk" ] || { say "offline $pcap: tcpdump recorded $rec of $npk packets"; FAILED=1; }
  printf 'offline %-22s packets=%-8s recorded=%-8s wall=%6.2f s  %5.2f Mpkt/s  %6.1f MB/s  cpu=%.2f s (%.3f µs/pkt)  peakRSS=%4d MB [tcpdump -r -w]\n' \
    "$pcap" "$npk" "$rec" "$wall" "$(awk -v n="$npk" -v w="$wall" 'BEGIN{print (w>0)?n/w/1e6:0}')" \
    "$(awk -v s="$size" -v w="$wall" 'BEGIN{print (w>0)?s/w/1e6:0}')" "$(awk -v a="$ut" -v b="$st" 'BEGIN{print a+b}')" \
    "$(awk -v a="$ut" -v b="$st" -v n="$npk" 'BEGIN{print (n>0)?(a+b)*1e6/n:0}')" "$(( ${rss:-0} / 1024 ))"
  rm -rf "$out"
}

if has_part offline; then
  if [ ! -x /usr/bin/time ]; then say "SKIPPING offline: /usr/bin/time missing (apt-get install -y time)"; FAILED=1
  else
    say "== offline: pktminerg -f PCAP --dump DIR ($OFFLINE_REPS rep(s); wall time includes node start-up)"
    [ "$OFFLINE_TCPDUMP" = 1 ] && say "   each followed by tcpdump -r PCAP -w OUT, timed the same way"
    [ -n "$REFERENCE" ] && say "   ($REFERENCE_LABEL has no -f (no file input): no offline row for it)"
    for rep in $(seq "$OFFLINE_REPS"); do
      for pcap in $OFFLINE_PCAPS; do
        offline_run "$pcap" "$LABEL"
        if [ "$OFFLINE_TCPDUMP" = 1 ]; then tcpdump_offline_run "$pcap"; fi
      done
    done
  fi
fi

# ---------- profile ----------
if has_part profile; then
  PROF="$WORK/profiles-$RUN_ID"
  big=small-64B-1M-x5.pcap; [ -r "$PCAP_DIR/$big" ] || big=small-64B-1M.pcap
  say "== profile: offline -f $big --dump under node --cpu-prof"
  mkdir -p "$PROF/offline"
  offline_run "$big" "$LABEL+cpu-prof" "--cpu-prof --cpu-prof-dir=$PROF/offline"
  ls "$PROF"/offline/*.cpuprofile >/dev/null 2>&1 && "$PY" "$HERE/lib/cpuprofile-top.py" -n 10 "$PROF"/offline/*.cpuprofile
  if [ "$live_ok" = 1 ]; then
    say "== profile: live $PROFILE_TRANSPORT at $PROFILE_RATE pkt/s, every node process profiled (lib/cpu-prof-preload.mjs)"
    pcmd="env NODE_OPTIONS=--import=$HERE/lib/cpu-prof-preload.mjs CPU_PROF_DIR=$PROF/live $(agent_cmd "$PROFILE_TRANSPORT")"
    live_run "$PROFILE_PCAP" "$PROFILE_TRANSPORT" "$PROFILE_RATE" "$LABEL+cpu-prof" "$pcmd"
    for f in "$PROF"/live/*.cpuprofile; do
      [ -e "$f" ] || { say "no live profile written"; break; }
      say "-- $(basename "$f")"
      "$PY" "$HERE/lib/cpuprofile-top.py" -n 10 "$f"
    done
    if ls "$PROF"/live/*.cpuprofile >/dev/null 2>&1; then
      say "-- all agent processes together"
      "$PY" "$HERE/lib/cpuprofile-top.py" -n 10 "$PROF"/live/*.cpuprofile
    fi
  fi
  say "profiles kept in $PROF (open in Chrome DevTools > Performance, or VS Code)"
fi

# ---------- summary ----------
say ""
say "== summary of this run ($RUN_JSONL; also appended to $OUT)"
"$PY" "$HERE/summarize.py" "$RUN_JSONL"
say "== targets"
"$PY" "$HERE/lib/targets.py" --label "$LABEL" "$RUN_JSONL"
[ "$SNAPSHOT" = 1 ] && rm -rf "$SNAP"
exit "$FAILED"
