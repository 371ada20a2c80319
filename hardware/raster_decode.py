"""The virtual printer's eye: ESC/POS bytes back to the image they print, so tests and
people can look at a printed ticket without paper."""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


class EscPosError(ValueError):
    pass


@dataclass
class Printout:
    bands: list[Image.Image] = field(default_factory=list)
    cuts: int = 0
    feeds: int = 0
    status_questions: list[int] = field(default_factory=list)

    def image(self, width: int | None = None) -> Image.Image:
        """All raster bands stacked, as a 1-bit image ``width`` dots wide (the paper's;
        by default the widest band's: blocks print from the left edge)."""
        if not self.bands:
            raise EscPosError("nothing was printed")
        width = width or max(b.width for b in self.bands)
        out = Image.new("1", (width, sum(b.height for b in self.bands)), 1)
        top = 0
        for band in self.bands:
            out.paste(band, (0, top))
            top += band.height
        return out


class Truncated(EscPosError):
    """The bytes end inside a command: more are on their way."""


def decode(data: bytes) -> Printout:
    """Parse the commands a ticket job uses; anything else is an error (we sent it, we know it)."""
    out = Printout()
    for kind, value, _end in _commands(data):
        if kind == "band":
            out.bands.append(value)
        elif kind == "feed":
            out.feeds += value
        elif kind == "cut":
            out.cuts += 1
        elif kind == "status":
            out.status_questions.append(value)
    return out


def job_end(data: bytes) -> int | None:
    """Where the first whole job (up to and including its cut) ends in ``data``; None while
    it is still arriving. Raster bytes are skipped by their length, never read as commands."""
    try:
        for kind, _value, end in _commands(data):
            if kind == "cut":
                return end
    except Truncated:
        return None
    return None


def _commands(data: bytes):
    """(kind, value, end) for each command: init, band (its image), feed (lines), cut, status (n)."""
    i = 0

    def need(count: int) -> None:
        if i + count > len(data):
            raise Truncated(f"truncated command at {i}")

    while i < len(data):
        if data.startswith(b"\x1b@", i):
            i += 2
            yield "init", None, i
        elif data.startswith(b"\x1dv0", i):
            need(8)
            mode, xl, xh, yl, yh = data[i + 3:i + 8]
            if mode not in (0, 3, 48, 51):
                raise EscPosError(f"GS v 0 mode {mode} at {i}: we send 0 (normal) and 3 (every dot 2 x 2)")
            row_bytes, rows = xl + 256 * xh, yl + 256 * yh
            need(8 + row_bytes * rows)
            body = data[i + 8:i + 8 + row_bytes * rows]
            band = Image.frombytes("1", (row_bytes * 8, rows), bytes(b ^ 0xFF for b in body))
            if mode in (3, 51):
                band = band.resize((band.width * 2, band.height * 2), Image.Resampling.NEAREST)
            i += 8 + row_bytes * rows
            yield "band", band, i
        elif data.startswith(b"\x1bd", i):
            need(3)
            i += 3
            yield "feed", data[i - 1], i
        elif data.startswith(b"\x1dV", i):
            need(3)
            size = 4 if data[i + 2] in (65, 66) else 3
            need(size)
            i += size
            yield "cut", None, i
        elif data.startswith(b"\x10\x04", i):
            need(3)
            i += 3
            yield "status", data[i - 1], i
        elif len(data) - i < 3 and any(c.startswith(data[i:]) for c in (b"\x1b@", b"\x1dv0", b"\x1bd", b"\x1dV",
                                                                          b"\x10\x04")):
            raise Truncated(f"truncated command at {i}")
        else:
            raise EscPosError(f"unexpected byte 0x{data[i]:02x} at {i}")
