"""ESC/POS bytes for a ticket: the image as raster bands (GS v 0), then feed and cut.

Vietnamese text is drawn into the image, never sent as text: printers' code pages do
not have every Vietnamese letter. Status questions (DLE EOT n) tell paper-out and offline.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from PIL import Image

INIT = b"\x1b@"
BAND_ROWS = 128          # rows per GS v 0 block: small enough for any printer's buffer
NORMAL, DOUBLE = 0, 3    # GS v 0 modes: each dot once, each dot 2 x 2
FEED_AND_CUT = b"\x1bd\x04" + b"\x1dV\x01"   # feed 4 lines, partial cut
ASK_PRINTER = b"\x10\x04\x01"                # DLE EOT 1: printer status
ASK_PAPER = b"\x10\x04\x04"                  # DLE EOT 4: roll paper sensor


class PrinterState(StrEnum):
    READY = "ready"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"     # the connection cannot answer status questions (file, CUPS)


def _rows(image: Image.Image) -> list[bytes]:
    """Each row of a 1-bit image as printer bytes (1 = black), padding bits clear."""
    img = image.convert("1")
    width, height = img.size
    row_bytes = (width + 7) // 8
    # Pillow's "1" mode packs 1 = white; the printer wants 1 = black: invert each byte.
    packed = bytes(b ^ 0xFF for b in img.tobytes())
    keep = (0xFF << (8 - width % 8)) & 0xFF if width % 8 else 0xFF
    rows = []
    for r in range(height):
        row = bytearray(packed[r * row_bytes:(r + 1) * row_bytes])
        row[-1] &= keep
        rows.append(bytes(row))
    return rows


def _bands(rows: list[bytes], mode: int = NORMAL) -> bytes:
    """GS v 0 blocks of at most BAND_ROWS rows, each only as wide as its ink reaches from
    the left (a raster block prints from the left edge; trailing blank bytes are not sent)."""
    out = bytearray()
    for top in range(0, len(rows), BAND_ROWS):
        block = rows[top:top + BAND_ROWS]
        width = max(1, max(len(row.rstrip(b"\0")) for row in block))
        out += b"\x1dv0" + bytes([mode, width & 0xFF, width >> 8, len(block) & 0xFF, len(block) >> 8])
        out += b"".join(row[:width] for row in block)
    return bytes(out)


def _half(image: Image.Image) -> Image.Image:
    """An image at half resolution both ways: a dot is black when 2 of its 4 were."""
    return image.convert("L").reduce(2).point(lambda v: 255 if v > 160 else 0).convert("1")


def raster(image: Image.Image, coarse_rows: Iterable[tuple[int, int]] = ()) -> bytes:
    """A 1-bit image as GS v 0 blocks: black pixels print. Runs of blank rows go as
    one-byte-wide blocks (they only move the paper); rows inside ``coarse_rows`` ranges
    (even start, even height) go at half resolution with every dot printed 2 x 2."""
    image = image.convert("1")
    rows = _rows(image)
    coarse = sorted(coarse_rows)
    out = bytearray()
    y = 0
    while y < len(rows):
        span = next(((top, bottom) for top, bottom in coarse if top == y), None)
        if span is not None:
            out += _bands(_rows(_half(image.crop((0, span[0], image.width, span[1])))), DOUBLE)
            y = span[1]
            continue
        stop = min([top for top, _ in coarse if top > y] + [len(rows)])
        blank = not rows[y].strip(b"\0")
        end = y
        while end < stop and (not rows[end].strip(b"\0")) == blank:
            end += 1
        out += _bands([b"\0"] * (end - y)) if blank else _bands(rows[y:end])
        y = end
    return bytes(out)


def ticket_job(image: Image.Image, coarse_rows: Iterable[tuple[int, int]] = ()) -> bytes:
    """Everything sent for one ticket."""
    return INIT + raster(image, coarse_rows) + FEED_AND_CUT


def as_printed(image: Image.Image, coarse_rows: Iterable[tuple[int, int]] = ()) -> Image.Image:
    """What the paper shows for ``ticket_job(image, coarse_rows)``: the coarse rows as their
    dots doubled (a test compares the printer's decoded output with this)."""
    out = image.convert("1").copy()
    for top, bottom in coarse_rows:
        part = out.crop((0, top, out.width, bottom))
        out.paste(_half(part).resize(part.size, Image.Resampling.NEAREST), (0, top))
    return out


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
