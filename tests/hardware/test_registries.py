"""A new rating-panel model or printer connection is its own code plus one registry entry: the
config check and the agent both take what they know from the registries, with no list of
models or address shapes anywhere else."""
from __future__ import annotations

import threading
from typing import ClassVar

import pytest

from hardware import printers
from hardware.agent import AgentSettings, _Devices
from hardware.panel_readers import MODELS, PanelModel
from server.config import ConfigError, parse_config
from server.config.devices import DeviceConfig

from ..hall import hall_document


class RecordingReader(threading.Thread):
    """A reader that only records which panels it was given, per port."""

    started: ClassVar[list[tuple[str, list[str]]]] = []

    def __init__(self, url, baudrate, panels, on_press, stop):
        super().__init__(daemon=True)
        RecordingReader.started.append((url, [p.id for p in panels]))

    def run(self) -> None:
        pass


@pytest.fixture
def infrared(monkeypatch):
    """A made-up bus model, registered the way a real one would be."""
    RecordingReader.started = []
    monkeypatch.setitem(MODELS, "infrared", PanelModel(
        "infrared", "IR", "panels on one infrared link, each with an address", shares_port=True,
        needs_address=True, digit_keys=False, reader=RecordingReader))


def panels(model: str, **options) -> list[dict]:
    return [{"id": f"panel-{n}", "kind": "rating_panel", "url": "/dev/ttyIR0", "counter": n, "agent": "agent-1",
             "options": {"model": model, "address": n, **options}} for n in (1, 2)]


def test_a_registered_panel_model_is_checked_by_its_entry(infrared):
    site = parse_config(hall_document("reg", devices=panels("infrared"))).sites["hcc"]
    assert {d.options["model"] for d in site.devices.values()} == {"infrared"}
    # Its entry says it needs an address, and that its panels may share a port.
    without = panels("infrared")
    del without[1]["options"]["address"]
    with pytest.raises(ConfigError, match=r"devices\[1\]\.options\.address: an IR panel needs its bus address"):
        parse_config(hall_document("reg", devices=without))


def test_an_unregistered_model_is_refused_naming_the_registered_ones():
    with pytest.raises(ConfigError, match=r"'infrared' is not one of ascii, rs485"):
        parse_config(hall_document("reg", devices=panels("infrared")))


def test_the_agent_starts_one_reader_per_port_from_the_models_entry(infrared):
    devices = tuple(DeviceConfig(id=d["id"], kind=d["kind"], url=d["url"], counter=d["counter"], agent="agent-1",
                                 options=d["options"]) for d in panels("infrared"))
    settings = AgentSettings(site="hcc", agent="agent-1", name="", heartbeat_seconds=5, press_max_age_seconds=60,
                             devices=devices)
    running = _Devices(settings, on_press=lambda *_: None)
    assert RecordingReader.started == [("/dev/ttyIR0", ["panel-1", "panel-2"])]
    assert len(running.readers) == 1


def test_a_registered_printer_connection_is_accepted_and_used(monkeypatch, tmp_path):
    out = tmp_path / "memory.bin"
    memory = printers.Connection(printers.re.compile(r"^memory:"),
                                 lambda url, _baudrate: printers.FilePrinter(str(out)), "memory:")
    printer = {"id": "printer-1", "kind": "printer", "url": "memory:front", "agent": "agent-1",
               "options": {"kiosk": "kiosk-1"}}
    with pytest.raises(ConfigError, match="'memory:front' is not a printer address"):
        parse_config(hall_document("reg", devices=[printer]))
    monkeypatch.setattr(printers, "CONNECTIONS", (memory, *printers.CONNECTIONS))
    site = parse_config(hall_document("reg", devices=[printer])).sites["hcc"]
    assert site.devices["printer-1"].url == "memory:front"
    printers.printer_for("memory:front").print_job(b"\x1b@ticket")
    assert out.read_bytes() == b"\x1b@ticket"
    with pytest.raises(printers.PrinterError, match="not a printer address"):
        printers.printer_for("carrier-pigeon:1")
