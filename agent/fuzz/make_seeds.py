#!/usr/bin/env python3
"""Writes the directive fuzzer's seed corpus (corpus/directive/) in the input layout that
directive_fuzz.cpp describes. Run from agent/fuzz/ after changing that layout."""
import os
import struct

NOW = 1764000000
SEEDS = {
    "valid-all": (0x1f, NOW, 7, [b"8", str(NOW + 60).encode(), b"avoid-disk", b"262144", b"30"]),
    "valid-reclaim-only": (0x0b, NOW, 0, [b"1", str(NOW + 5).encode(), b"65536"]),
    "replayed": (0x05, NOW, 9, [b"3", str(NOW + 60).encode(), b"normal"]),
    "same-seq": (0x05, NOW, 9, [b"9", str(NOW + 60).encode(), b"normal"]),
    "expired": (0x07, NOW, 0, [b"2", b"1", b"prefer-fast"]),
    "disabled": (0x27, NOW, 0, [b"2", str(NOW + 60).encode(), b"normal"]),
    "mode-not-allowed": (0x47, NOW, 0, [b"2", str(NOW + 60).encode(), b"avoid-disk"]),
    "overflow-seq": (0x03, NOW, 0, [b"18446744073709551616", str(NOW + 60).encode()]),
    "nul-in-seq": (0x03, NOW, 0, [b"1\x002", str(NOW + 60).encode()]),
    "signs-spaces": (0x1f, NOW, 0, [b"+1", b" 5", b"normal ", b"-1", b"0x10"]),
    "huge-swappiness": (0x13, NOW, 0, [b"4", str(NOW + 60).encode(), b"4294967296"]),
    "empty-nodes": (0x1f, NOW, 0, [b"", b"", b"", b"", b""]),
    "over-long": (0x09, NOW, 0, [b"9" * 200, b"1" * 255]),
    "nothing": (0x00, NOW, 0, []),
}

os.makedirs("corpus/directive", exist_ok=True)
for name, (flags, now, last, values) in SEEDS.items():
    data = bytes([flags]) + struct.pack("<QQ", now, last)
    for v in values:
        data += bytes([len(v)]) + v
    with open(os.path.join("corpus/directive", name), "wb") as f:
        f.write(data)
