#!/usr/bin/env python3
"""Counts the records of classic pcap files (packet-agent benchmark helper, stdlib only).

  pcap-count.py PATH...      PATH = a pcap file or a directory (searched recursively for *.pcap*)
      prints: files=<n> records=<total records> bytes=<total file bytes> truncated=<files cut mid-record>

Walks the 16-byte record headers (either byte order, µs or ns magic); a file that
ends inside a record counts its complete records and is reported as truncated.
Used by forward-rate.sh -t dump (received = records in the agent's dump files) and
by run.sh's offline test.
"""
import mmap
import os
import struct
import sys

from classic_pcap import byte_order


def count_file(path):
    size = os.path.getsize(path)
    if size < 24:
        return 0, size, size > 0
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        order = byte_order(path, m)
        caplen_at = struct.Struct(order + "I").unpack_from
        off, n = 24, 0
        while off + 16 <= size:
            nxt = off + 16 + caplen_at(m, off + 8)[0]
            if nxt > size:
                break
            off = nxt
            n += 1
        return n, size, off != size


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    files = []
    for p in sys.argv[1:]:
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                files += [os.path.join(d, x) for x in names if ".pcap" in x]
        elif os.path.exists(p):
            files.append(p)
    records = nbytes = truncated = 0
    for f in sorted(files):
        n, size, cut = count_file(f)
        records += n
        nbytes += size
        truncated += int(cut)
    print(f"files={len(files)} records={records} bytes={nbytes} truncated={truncated}")


if __name__ == "__main__":
    main()
