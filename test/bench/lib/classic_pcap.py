"""The byte order of a classic pcap file from its magic (shared by the benchmark's pcap helpers)."""
import struct

MAGICS = {0xA1B2C3D4: "<", 0xA1B23C4D: "<", 0xD4C3B2A1: ">", 0x4D3CB2A1: ">"}


def byte_order(path, head):
    """'<' or '>' for the struct formats of the file's headers; exits on anything but classic pcap."""
    magic = struct.unpack_from("<I", head, 0)[0] if len(head) >= 4 else None
    order = MAGICS.get(magic)
    if order is None:
        shown = "none" if magic is None else f"0x{magic:08x}"
        raise SystemExit(f"{path}: not a classic pcap (magic {shown})")
    return order
