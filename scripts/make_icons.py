"""Draw Crest's home-screen icons (PNG, no image library needed).

A neutral mark on purpose: a wave crest on a teal field, nothing that tells
a passer-by what the app is for. Run: python scripts/make_icons.py
"""

import math
import struct
import zlib
from pathlib import Path

TEAL = (31, 95, 91)
CREAM = (247, 245, 240)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def png(width: int, height: int, pixels: list[list[tuple[int, int, int]]]) -> bytes:
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def draw(size: int, scale: float) -> bytes:
    """A band shaped like a wave crest; `scale` < 1 keeps it inside the
    maskable safe zone."""
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            u = (x / size - 0.5) / scale + 0.5
            v = (y / size - 0.5) / scale + 0.5
            crest = 0.55 - 0.16 * math.sin(math.pi * u) ** 3 - 0.05 * math.sin(2 * math.pi * u)
            inside = 0.12 <= u <= 0.88 and crest <= v <= crest + 0.14
            row.append(CREAM if inside else TEAL)
        rows.append(row)
    return png(size, size, rows)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon-192.png").write_bytes(draw(192, 1.0))
    (OUT / "icon-512.png").write_bytes(draw(512, 1.0))
    (OUT / "icon-maskable-512.png").write_bytes(draw(512, 0.7))
