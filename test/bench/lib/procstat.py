#!/usr/bin/env python3
"""CPU / memory of a process tree, read from /proc (no dependencies).

Copied from the reference measurements (/work/shared/bench/lib/procstat.py, pktminerg 0.8.4
baselines). packet-agent change: `snap` also prints tree_hwm_kb (sum of VmHWM over the tree:
packet-agent captures in a child process, so the root's VmHWM alone misses the capture side)
and rss_anon_kb / rss_file_kb / rss_shmem_kb (tree sums, to tell heap from mapped rings).

  procstat.py snap ROOTPID
      prints: ticks=<utime+stime of the whole tree, clock ticks> hz=<CLK_TCK>
              rss_kb=<sum VmRSS of the tree> hwm_kb=<VmHWM of ROOTPID> nproc=<n>
      Ticks of threads are included (they are part of the process counters).
      Children that already exited are not counted (their time is only
      folded into the parent's cutime when reaped) - fine for long-running agents.

  procstat.py sample ROOTPID INTERVAL_S OUTFILE
      samples until ROOTPID disappears (or SIGTERM) and keeps writing
      "peak_rss_kb=<max over samples of the tree's summed VmRSS>" to OUTFILE.
"""
import os
import signal
import sys
import time

HZ = os.sysconf(os.sysconf_names["SC_CLK_TCK"])


def _stat(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        s = f.read().decode("latin-1")
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] = state (field 3); utime = field 14 -> rest[11]; stime = field 15 -> rest[12]; ppid = field 4 -> rest[1]
    return int(rest[1]), int(rest[11]) + int(rest[12])


def _status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root):
    parent = {}
    ticks = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            pp, t = _stat(int(d))
        except (OSError, ValueError, IndexError):
            continue
        parent[int(d)] = pp
        ticks[int(d)] = t
    if root not in parent:
        return []
    kids = {}
    for p, pp in parent.items():
        kids.setdefault(pp, []).append(p)
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append((p, ticks[p]))
        stack.extend(kids.get(p, []))
    return out


def snap(root):
    t = tree(root)
    ticks = sum(x[1] for x in t)
    rss = sum(_status_kb(p, "VmRSS") for p, _ in t)
    hwm = _status_kb(root, "VmHWM")
    return ticks, rss, hwm, len(t)


def snap_extra(root):
    t = tree(root)
    return {k: sum(_status_kb(p, key) for p, _ in t) for k, key in (
        ("tree_hwm_kb", "VmHWM"), ("rss_anon_kb", "RssAnon"), ("rss_file_kb", "RssFile"), ("rss_shmem_kb", "RssShmem"))}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "snap":
        ticks, rss, hwm, n = snap(int(sys.argv[2]))
        extra = " ".join(f"{k}={v}" for k, v in snap_extra(int(sys.argv[2])).items())
        print(f"ticks={ticks} hz={HZ} rss_kb={rss} hwm_kb={hwm} nproc={n} {extra}")
        return
    if len(sys.argv) >= 5 and sys.argv[1] == "sample":
        root, iv, out = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
        peak = 0
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while not stop and os.path.exists(f"/proc/{root}"):
            _, rss, _, n = snap(root)
            if n and rss > peak:
                peak = rss
                with open(out + ".tmp", "w") as f:
                    f.write(f"peak_rss_kb={peak}\n")
                os.replace(out + ".tmp", out)
            time.sleep(iv)
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
