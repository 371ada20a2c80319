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

    def image(self) -> Image.Image:
        """All raster bands stacked, as a 1-bit image."""
        if not self.bands:
            raise EscPosError("nothing was printed")
        width = max(b.width for b in self.bands)
        out = Image.new("1", (width, sum(b.height for b in self.bands)), 1)
        top = 0
        for band in self.bands:
            out.paste(band, (0, top))
            top += band.height
        return out


def decode(data: bytes) -> Printout:
    """Parse the commands a ticket job uses; anything else is an error (we sent it, we know it)."""
    out = Printout()
    i = 0

    def need(count: int) -> None:
        if i + count > len(data):
            raise EscPosError(f"truncated command at {i}")

    while i < len(data):
        if data.startswith(b"\x1b@", i):
            i += 2
        elif data.startswith(b"\x1dv0", i):
            if i + 8 > len(data):
                raise EscPosError("truncated GS v 0 header")
            xl, xh, yl, yh = data[i + 4:i + 8]
            row_bytes, rows = xl + 256 * xh, yl + 256 * yh
            body = data[i + 8:i + 8 + row_bytes * rows]
            if len(body) != row_bytes * rows:
                raise EscPosError("truncated raster band")
            band = Image.frombytes("1", (row_bytes * 8, rows), bytes(b ^ 0xFF for b in body))
            out.bands.append(band)
            i += 8 + row_bytes * rows
        elif data.startswith(b"\x1bd", i):
            need(3)
            out.feeds += data[i + 2]
            i += 3
        elif data.startswith(b"\x1dV", i):
            need(3)
            size = 4 if data[i + 2] in (65, 66) else 3
            need(size)
            out.cuts += 1
            i += size
        elif data.startswith(b"\x10\x04", i):
            need(3)
            out.status_questions.append(data[i + 2])
            i += 3
        else:
            raise EscPosError(f"unexpected byte 0x{data[i]:02x} at {i}")
    return out
