"""Tickets drawn with Vietnamese text, sent as ESC/POS raster, decoded back pixel for pixel."""
from __future__ import annotations

import pytest
from PIL import ImageChops

from hardware import escpos, raster_decode
from hardware.escpos import PrinterState
from hardware.printers import DummyPrinter, FilePrinter, PrinterError, printer_for
from hardware.simulators import VirtualNetworkPrinter
from hardware.ticket_image import TicketText, render

TICKET = TicketText(
    centre="Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm", number_caption="SỐ THỨ TỰ CỦA BẠN",
    label="1023", field="Lao động – Thương binh và Xã hội (đăng ký hưởng trợ cấp thất nghiệp)",
    lines=("Số người chờ trước bạn: 12", "Thời gian chờ dự kiến: khoảng 25 phút", "Ưu tiên: Người cao tuổi"),
    issued="09:12 — Thứ Hai, 23/11/2026", qr_url="http://192.168.1.10:8080/t/hcc/AbCdEfGhIjKlMnOpQrStUv",
    qr_caption="Quét mã QR để theo dõi lượt gọi trên điện thoại", footer="Xin cảm ơn!")


def same(a, b) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


@pytest.mark.parametrize("paper,width", [(80, 576), (58, 384)])
def test_ticket_fits_the_paper_and_round_trips_pixel_exact(paper, width, tmp_path):
    image = render(TICKET, paper)
    assert image.mode == "1" and image.width == width and 300 < image.height < 1400
    job = escpos.ticket_job(image)
    assert job.startswith(b"\x1b@\x1dv0\x00") and job.endswith(escpos.FEED_AND_CUT)
    printout = raster_decode.decode(job)
    assert printout.cuts == 1 and all(b.height <= escpos.BAND_ROWS for b in printout.bands)
    assert same(printout.image(), image)
    image.save(tmp_path / f"ticket-{paper}.png")


def test_vietnamese_letters_are_drawn_not_code_paged():
    plain = render(TicketText(**{**TICKET.to_json(), "lines": ("Dang cho",)}), 80)
    marked = render(TicketText(**{**TICKET.to_json(), "lines": ("Đang chờ",)}), 80)
    assert not same(plain, marked)
    assert b"\xc4\x90" not in escpos.ticket_job(marked)  # no UTF-8 text reaches the printer


def test_a_long_number_shrinks_to_fit():
    wide = render(TicketText(**{**TICKET.to_json(), "label": "K12345"}), 58)
    assert wide.width == 384


def test_connections_by_address(tmp_path):
    out = tmp_path / "ticket.bin"
    job = escpos.ticket_job(render(TICKET, 58))
    FilePrinter(str(out)).print_job(job)
    assert out.read_bytes() == job
    dummy = printer_for("dummy:")
    assert isinstance(dummy, DummyPrinter)
    assert dummy.print_job(job) == PrinterState.UNKNOWN and bytes(dummy.output) == job


def test_network_printer_prints_and_reports_paper_out(tmp_path):
    virtual = VirtualNetworkPrinter(out_dir=tmp_path)
    try:
        image = render(TICKET, 80)
        printer = printer_for(virtual.url)
        assert printer.print_job(escpos.ticket_job(image)) == PrinterState.READY
        assert virtual.wait_for_jobs(1)
        assert same(virtual.images[0], image)
        assert virtual.printouts[0].cuts == 1
        assert (tmp_path / "ticket-0001.png").exists()
        virtual.paper_out = True
        with pytest.raises(PrinterError) as caught:
            printer.print_job(escpos.ticket_job(image))
        assert caught.value.state == PrinterState.PAPER_OUT
        assert not virtual.wait_for_jobs(2, timeout=0.5)  # nothing half-printed
    finally:
        virtual.close()
    with pytest.raises(PrinterError) as caught:
        printer_for(virtual.url).print_job(b"\x1b@")
    assert caught.value.state == PrinterState.OFFLINE
