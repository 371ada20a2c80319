"""ESC/POS bytes for a ticket: the image as raster bands (GS v 0), then feed and cut.

Vietnamese text is drawn into the image, never sent as text: printers' code pages do
not have every Vietnamese letter. Status questions (DLE EOT n) tell paper-out and offline.
"""
from __future__ import annotations

from enum import Enum

from PIL import Image

INIT = b"\x1b@"
BAND_ROWS = 128          # rows per GS v 0 block: small enough for any printer's buffer
FEED_AND_CUT = b"\x1bd\x04" + b"\x1dV\x01"   # feed 4 lines, partial cut
ASK_PRINTER = b"\x10\x04\x01"                # DLE EOT 1: printer status
ASK_OFFLINE = b"\x10\x04\x02"                # DLE EOT 2: offline cause
ASK_PAPER = b"\x10\x04\x04"                  # DLE EOT 4: roll paper sensor


class PrinterState(str, Enum):
    READY = "ready"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"     # the connection cannot answer status questions (file, CUPS)


def raster(image: Image.Image) -> bytes:
    """A 1-bit image as GS v 0 bands: black pixels print."""
    img = image.convert("1")
    width, height = img.size
    row_bytes = (width + 7) // 8
    # Pillow's "1" mode packs 1 = white; the printer wants 1 = black: invert each byte.
    packed = bytes(b ^ 0xFF for b in img.tobytes())
    if width % 8:
        # Padding bits at the end of each row came from Pillow as 0 (black after inverting): clear them.
        keep = (0xFF << (8 - width % 8)) & 0xFF
        rows = [bytearray(packed[r * row_bytes:(r + 1) * row_bytes]) for r in range(height)]
        for row in rows:
            row[-1] &= keep
        packed = b"".join(bytes(r) for r in rows)
    out = bytearray()
    for top in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - top)
        out += b"\x1dv0\x00" + bytes([row_bytes & 0xFF, row_bytes >> 8, rows & 0xFF, rows >> 8])
        out += packed[top * row_bytes:(top + rows) * row_bytes]
    return bytes(out)


def ticket_job(image: Image.Image) -> bytes:
    """Everything sent for one ticket."""
    return INIT + raster(image) + FEED_AND_CUT


def state_from(printer_byte: int | None, paper_byte: int | None) -> PrinterState:
    """Read the answers to DLE EOT 1 and DLE EOT 4 (bit 3 of the first = offline;
    bits 5 and 6 of the second = paper end)."""
    if printer_byte is None and paper_byte is None:
        return PrinterState.UNKNOWN
    if paper_byte is not None and paper_byte & 0x60:
        return PrinterState.PAPER_OUT
    if printer_byte is not None and printer_byte & 0x08:
        return PrinterState.OFFLINE
    return PrinterState.READY
