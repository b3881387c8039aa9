#!/usr/bin/env python3
"""Writes a trafgen(8) packet configuration from the first frames of a classic pcap
(packet-agent benchmark helper, stdlib only).

  pcap-to-trafgen.py PCAP OUT.cfg [MAX_FRAMES=1024]

trafgen sends the configured packets round-robin, so the first 1024 frames of
small-64B-1M.pcap (its 1024 flows, which the pcap itself cycles) give the same
traffic as replaying the whole file. Frames keep their bytes exactly.
"""
import struct
import sys

from classic_pcap import byte_order


def frames(path, limit):
    with open(path, "rb") as f:
        order = byte_order(path, f.read(24))
        out = []
        while len(out) < limit:
            rec = f.read(16)
            if len(rec) < 16:
                break
            caplen = struct.unpack_from(order + "I", rec, 8)[0]
            data = f.read(caplen)
            if len(data) < caplen:
                break
            out.append(data)
        return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    got = frames(sys.argv[1], limit)
    if not got:
        raise SystemExit(f"{sys.argv[1]}: no frames")
    with open(sys.argv[2], "w") as out:
        for data in got:
            out.write("{ " + ", ".join(f"0x{b:02x}" for b in data) + " }\n")
    print(f"frames={len(got)}")


if __name__ == "__main__":
    main()
