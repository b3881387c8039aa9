#!/usr/bin/env python3
"""Attaches a BPF program that lets every packet pass to a cgroup v2 directory's socket egress, as
systemd's IPAccounting= or a host firewall would attach theirs: what `--tx auto` must notice
(lib/native/ip_output_hooks.c). The attachment lasts until the cgroup is removed.

Usage: cgroup-bpf.py CGROUP_DIR"""
import ctypes
import os
import struct
import sys

BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS = 8, 1
NR_BPF = {'x86_64': 321, 'aarch64': 280}[os.uname().machine]

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd: int, attr: bytes) -> int:
    buf = ctypes.create_string_buffer(attr.ljust(128, b'\0'), 128)
    fd = libc.syscall(NR_BPF, cmd, buf, 128)
    if fd < 0:
        err = ctypes.get_errno()
        sys.exit(f'cgroup-bpf: bpf({cmd}): {os.strerror(err)}')
    return fd


# r0 = 1 (pass); exit
insns = struct.pack('<BBhi', 0xb7, 0x00, 0, 1) + struct.pack('<BBhi', 0x95, 0, 0, 0)
insns_buf = ctypes.create_string_buffer(insns, len(insns))
license_buf = ctypes.create_string_buffer(b'GPL')
# union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log_level, log_size, log_buf
prog = bpf(BPF_PROG_LOAD, struct.pack('<IIQQIIQ', BPF_PROG_TYPE_CGROUP_SKB, len(insns) // 8,
                                      ctypes.addressof(insns_buf), ctypes.addressof(license_buf), 0, 0, 0))
cgroup = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
# BPF_PROG_ATTACH: target_fd, attach_bpf_fd, attach_type, attach_flags
bpf(BPF_PROG_ATTACH, struct.pack('<IIII', cgroup, prog, BPF_CGROUP_INET_EGRESS, 0))
