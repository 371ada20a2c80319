"""The paper ticket drawn as an image (Pillow + qrcode) for 80 mm (576 dots) or 58 mm (384 dots).

Text is rendered with the bundled DejaVu Sans, which has every Vietnamese letter; long
lines are wrapped, and shrunk when a word alone is too wide. The words come ready-made
(and translated) from the server: this module only lays them out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).parent / "fonts"
WIDTHS = {80: 576, 58: 384}
MARGIN = 12


@dataclass(frozen=True)
class TicketText:
    """Everything printed on a ticket, already in the visitor's language."""

    centre: str
    number_caption: str
    label: str
    field: str
    lines: tuple[str, ...]       # people ahead, estimated wait, priority…
    issued: str                  # date and time
    qr_url: str
    qr_caption: str
    footer: str

    @classmethod
    def from_json(cls, data: dict) -> TicketText:
        return cls(centre=data["centre"], number_caption=data["number_caption"], label=data["label"],
                   field=data["field"], lines=tuple(data.get("lines", ())), issued=data["issued"],
                   qr_url=data["qr_url"], qr_caption=data["qr_caption"], footer=data.get("footer", ""))

    def to_json(self) -> dict:
        return {"centre": self.centre, "number_caption": self.number_caption, "label": self.label,
                "field": self.field, "lines": list(self.lines), "issued": self.issued, "qr_url": self.qr_url,
                "qr_caption": self.qr_caption, "footer": self.footer}


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _text_width(draw: ImageDraw.ImageDraw, text: str, f) -> int:
    return int(draw.textlength(text, font=f))


def wrap(draw: ImageDraw.ImageDraw, text: str, size: int, bold: bool, width: int, min_size: int = 14):
    """Lines of ``text`` fitting ``width``, with the font (shrunk until every word fits)."""
    while True:
        f = font(size, bold)
        words = text.split()
        if size <= min_size or all(_text_width(draw, w, f) <= width for w in words):
            break
        size -= 2
    lines, current = [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if _text_width(draw, candidate, f) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines, f


def render(ticket: TicketText, paper_mm: int = 80) -> Image.Image:
    """The ticket as a 1-bit image exactly as wide as the paper's printable dots."""
    return layout(ticket, paper_mm)[0]


def layout(ticket: TicketText, paper_mm: int = 80) -> tuple[Image.Image, tuple[tuple[int, int], ...]]:
    """The ticket image, and the row ranges [top, bottom) that hold only large shapes (the
    centre's name, the number, the field, the QR code). Those may be sent at half resolution
    and printed with every dot doubled (escpos.ticket_job): a quarter of the bytes, the same
    look, which is what lets a 19200-baud serial printer print a ticket in a few seconds.
    Each range starts on an even row and is of even height."""
    width = WIDTHS[paper_mm]
    scale = width / 576
    usable = width - 2 * MARGIN
    canvas = Image.new("L", (width, 2400), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN
    coarse: list[tuple[int, int]] = []

    def even(value: int) -> int:
        return value + (value % 2)

    def large(draw_it) -> None:
        """Draw a large shape from an even row and record its rows as coarse."""
        nonlocal y
        y = even(y)
        top = y
        draw_it()
        y = even(y)
        coarse.append((top, y))

    def centred(text: str, size: int, bold: bool = False, gap: int = 6) -> None:
        nonlocal y
        lines, f = wrap(draw, text, int(size * scale), bold, usable)
        for line in lines:
            left, top, right, bottom = draw.textbbox((0, 0), line, font=f)
            draw.text(((width - (right - left)) // 2 - left, y - top), line, font=f, fill=0)
            y += int(bottom - top) + gap  # Pillow measures TrueType text in whole pixels

    def rule() -> None:
        nonlocal y
        y += 6
        draw.line((MARGIN, y, width - MARGIN, y), fill=0, width=2)
        y += 12

    large(lambda: centred(ticket.centre, 24, bold=True))
    rule()
    centred(ticket.number_caption, 22)

    def number() -> None:
        """As large as fits the paper."""
        nonlocal y
        size = int(190 * scale)
        while size > 40 and _text_width(draw, ticket.label, font(size, True)) > usable:
            size -= 6
        f = font(size, True)
        left, top, right, bottom = draw.textbbox((0, 0), ticket.label, font=f)
        draw.text(((width - (right - left)) // 2 - left, y - top + 4), ticket.label, font=f, fill=0)
        y += int(bottom - top) + 18

    large(number)
    large(lambda: centred(ticket.field, 30, bold=True))
    y += 4
    for line in ticket.lines:
        centred(line, 22)
    centred(ticket.issued, 20)
    rule()
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=2)
    qr.add_data(ticket.qr_url)
    qr.make(fit=True)
    modules = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    box = (max(2, int(220 * scale) // modules.width) + 1) // 2 * 2  # even (rounded up): exact at half resolution

    def code() -> None:
        nonlocal y
        image = modules.resize((modules.width * box, modules.height * box), Image.Resampling.NEAREST)
        canvas.paste(image, ((width - image.width) // 4 * 2, y))
        y += image.height

    large(code)
    y += 6
    centred(ticket.qr_caption, 18)
    if ticket.footer:
        centred(ticket.footer, 20, bold=True)
    y += MARGIN
    return canvas.crop((0, 0, width, y)).point(lambda v: 255 if v > 160 else 0).convert("1"), tuple(coarse)
