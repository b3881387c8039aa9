#!/usr/bin/env python3
"""Top self-time functions of V8 .cpuprofile files (packet-agent benchmark helper, stdlib only).

  cpuprofile-top.py [-n 10] [--json] FILE.cpuprofile...

Self time of a profile node = sum of the sample intervals (timeDeltas) attributed to it; nodes of
the same function (name, script, line) are added up, also across the given files. Prints a markdown
table: rank, self ms, % of all samples, function, where (script:line, path shortened).
"(idle)" is the event loop waiting; "(program)" is native work outside JS (libuv, bindings' C++
when not attributed), "(garbage collector)" is GC.
"""
import argparse
import json
import os
from collections import defaultdict


def short(url):
    if not url:
        return ""
    u = url.replace("file://", "")
    for marker in ("/dist/", "/node_modules/"):
        i = u.find(marker)
        if i >= 0:
            return u[i + 1:]
    return u if u.startswith("node:") else os.path.basename(u)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    self_us = defaultdict(float)
    total = 0.0
    for path in a.files:
        with open(path) as f:
            prof = json.load(f)
        nodes = {n["id"]: n for n in prof["nodes"]}
        per_node = defaultdict(float)
        for nid, dt in zip(prof.get("samples", []), prof.get("timeDeltas", [])):
            per_node[nid] += max(dt, 0)
        for nid, us in per_node.items():
            cf = nodes[nid]["callFrame"]
            key = (cf.get("functionName") or "(anonymous)", short(cf.get("url", "")), cf.get("lineNumber", -1) + 1)
            self_us[key] += us
            total += us
    top = sorted(self_us.items(), key=lambda kv: -kv[1])[: a.n]
    if a.json:
        print(json.dumps([{"function": k[0], "where": f"{k[1]}:{k[2]}", "self_ms": round(v / 1000, 1),
                           "pct": round(100 * v / total, 1) if total else 0} for k, v in top]))
        return
    print(f"total sampled: {total / 1000:.0f} ms over {len(a.files)} profile(s)")
    print("| # | self ms | % | function | where |")
    print("|---|---|---|---|---|")
    for i, ((fn, url, line), us) in enumerate(top, 1):
        where = f"{url}:{line}" if url else ""
        print(f"| {i} | {us / 1000:.0f} | {100 * us / total:.1f} | `{fn}` | {where} |")


if __name__ == "__main__":
    main()
