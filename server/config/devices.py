"""The device and rating parts of config.yaml: rating levels, panels, printers, LED displays."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.panel_readers import MODELS, PanelModel
from hardware.printers import is_printer_address

from .reader import SLUG, Node, check_unique

DEVICE_KINDS = ("rating_panel", "printer", "led_display")
CATEGORIES = {"very_satisfied": 3, "satisfied": 2, "dissatisfied": 1}
SERIAL_URL = re.compile(r"^(/|socket://|rfc2217://|loop://|spy://|alt://)")


@dataclass(frozen=True)
class RatingLevel:
    """One button meaning: a level (1 = worst) in one of the official categories."""

    level: int
    name: str
    name_en: str
    category: str
    score: int


@dataclass(frozen=True)
class RatingConfig:
    window_seconds: int = 180
    levels: tuple[RatingLevel, ...] = ()
    # More presses than a hand makes: one panel's presses dated in one minute beyond this are refused.
    presses_per_minute: int = 10

    def level(self, number: int) -> RatingLevel | None:
        return next((lv for lv in self.levels if lv.level == number), None)


DEFAULT_LEVELS = (
    RatingLevel(3, "Rất hài lòng", "Very satisfied", "very_satisfied", 3),
    RatingLevel(2, "Hài lòng", "Satisfied", "satisfied", 2),
    RatingLevel(1, "Không hài lòng", "Dissatisfied", "dissatisfied", 1),
)


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    kind: str
    url: str
    counter: int | None
    agent: str | None
    options: dict = field(default_factory=dict, hash=False, compare=False)


def parse_ratings(node: Node) -> RatingConfig:
    if node.value is None:
        return RatingConfig(levels=DEFAULT_LEVELS)
    m = node.mapping(["window_minutes", "levels", "presses_per_minute"])
    if m is None:
        return RatingConfig(levels=DEFAULT_LEVELS)
    window = m.number("window_minutes", 3, minimum=0.25, maximum=60)
    per_minute = m.whole("presses_per_minute", 10, minimum=1, maximum=60) or 10
    nodes = m.node("levels").items()
    levels = []
    for item in nodes:
        lm = item.mapping(["level", "name", "name_en", "category", "score"])
        if lm is None:
            continue
        category = lm.text("category", required=True, choices=tuple(CATEGORIES)) or "satisfied"
        levels.append((item, RatingLevel(
            level=lm.whole("level", required=True, minimum=1, maximum=5) or 0,
            name=lm.text("name", required=True) or "",
            name_en=lm.text("name_en", "") or "",
            category=category,
            score=lm.whole("score", CATEGORIES[category], minimum=1, maximum=5) or 1)))
    if nodes and not 2 <= len(nodes) <= 5:
        m.node("levels").error(f"a panel has 2 to 5 buttons, not {len(nodes)}")
    check_unique([(n, lv.level) for n, lv in levels], "rating level")
    return RatingConfig(window_seconds=int((window or 3) * 60), presses_per_minute=per_minute,
                        levels=tuple(lv for _, lv in levels) if nodes else DEFAULT_LEVELS)


def parse_devices(node: Node, counters, agent_ids: set[str], kiosk_ids: set[str],
                  ratings: RatingConfig) -> dict[str, DeviceConfig]:
    nodes = node.items()
    devices: list[DeviceConfig | None] = []
    options_by_kind: dict[str, dict] = {}  # for the JSON Schema: each kind's options apart
    for item in nodes:
        m = item.mapping(["id", "kind", "url", "counter", "agent", "options"])
        if m is None:
            devices.append(None)
            continue
        kind = m.text("kind", required=True, choices=DEVICE_KINDS)
        m.node("counter").expect({"type": ["integer", "null"]})
        counter = None
        if m.data.get("counter") is not None:
            number = m.data["counter"]
            if isinstance(number, bool) or not isinstance(number, int) or number not in counters:
                m.node("counter").error(f"unknown counter {number!r}")
            else:
                counter = number
        elif kind in ("rating_panel", "led_display"):
            m.node("counter").error(f"a {kind} needs the counter it belongs to")
        agent = m.text("agent", None)
        if agent is not None and agent not in agent_ids:
            m.node("agent").error(f"unknown agent {agent!r}")
        url = m.text("url", required=True) or ""
        known = is_printer_address(url) if kind == "printer" else bool(SERIAL_URL.match(url))
        if url and not known:
            m.node("url").error(f"{url!r} is not a {'printer' if kind == 'printer' else 'serial port'} address")
        options_node = m.node("options")
        if options_node.schema is not None and kind:
            options_node = Node(options_node.value, options_node.path, options_node.errors,
                                options_by_kind.setdefault(kind, {}))
        options = _options(options_node, kind, kiosk_ids, ratings, counter)
        devices.append(DeviceConfig(
            id=m.text("id", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'") or "",
            kind=kind or "", url=url, counter=counter, agent=agent, options=options))
    check_unique([(n, d.id if d else None) for n, d in zip(nodes, devices, strict=True)], "device id")
    _check_buses(nodes, devices)
    if node.schema is not None and options_by_kind:
        item = node.schema["items"]
        item["properties"]["options"] = {"type": ["object", "null"]}
        item["allOf"] = [{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                          "then": {"properties": {"options": schema}}}
                         for kind, schema in sorted(options_by_kind.items())]
    return {d.id: d for d in devices if d is not None}


def _options(node: Node, kind: str | None, kiosk_ids: set[str], ratings: RatingConfig, counter) -> dict:
    """A device's ``options``, read by its kind's reader (none for an unknown kind: already an error)."""
    reader = _OPTION_READERS.get(kind or "")
    return reader(node, kiosk_ids=kiosk_ids, ratings=ratings, counter=counter) if reader else {}


def _panel_options(node: Node, *, ratings: RatingConfig, **_) -> dict:
    m = node.mapping(["model", "baudrate", "keys", "address"])
    if m is None:
        return {}
    model = MODELS[m.text("model", "ascii", choices=tuple(MODELS)) or "ascii"]
    address = m.whole("address", None, minimum=1, maximum=247)
    if model.needs_address and address is None:
        m.node("address").error(f"an {model.label} panel needs its bus address (1-247)")
    return {"model": model.name, "baudrate": m.whole("baudrate", 9600, minimum=1200, maximum=115200),
            "keys": _panel_keys(m, node, model, ratings), "address": address}


def _panel_keys(m, node: Node, model: PanelModel, ratings: RatingConfig) -> dict[str, int]:
    """The panel's keys and the rating level each stands for (by default 1 = the best)."""
    default_keys = {str(i + 1): lv.level for i, lv in enumerate(sorted(ratings.levels, key=lambda x: -x.level))}
    m.node("keys").expect({"type": ["object", "null"], "minProperties": 1,
                           "propertyNames": {"minLength": 1, "maxLength": 1},
                           "additionalProperties": {"type": "integer"}})
    keys = m.data.get("keys", default_keys)
    if not isinstance(keys, dict) or not keys:
        m.node("keys").error("expected a mapping of keys to levels, e.g. {'1': 3, '2': 2, '3': 1}")
        keys = default_keys
    clean = {}
    for key, level in keys.items():
        key = str(key)
        where = Node(None, m.node("keys").child_path(key), node.errors)
        if len(key) != 1 or (model.digit_keys and not key.isdigit()):
            digits = f" (a digit on an {model.label} panel)" if model.digit_keys else ""
            where.error(f"a key is one character{digits}")
        elif ratings.level(level) is None:
            where.error(f"no rating level {level!r}")
        else:
            clean[key] = level
    return clean


def _printer_options(node: Node, *, kiosk_ids: set[str], **_) -> dict:
    m = node.mapping(["paper", "kiosk", "baudrate", "raster"])
    if m is None:
        return {}
    kiosk = m.text("kiosk", required=True)
    if kiosk is not None and kiosk not in kiosk_ids:
        m.node("kiosk").error(f"unknown kiosk {kiosk!r}")
    paper = m.whole("paper", 80)
    m.node("paper").expect({"enum": [58, 80, None]})
    if paper not in (58, 80):
        m.node("paper").error(f"paper is 58 or 80 (mm), not {paper!r}")
        paper = 80
    raster = m.text("raster", "compact")
    m.node("raster").expect({"enum": ["compact", "full", None]})
    if raster not in ("compact", "full"):
        m.node("raster").error(f"raster is compact (large parts at half resolution, a quarter of the bytes) "
                               f"or full (every dot sent), not {raster!r}")
        raster = "compact"
    return {"paper": paper, "kiosk": kiosk, "raster": raster,
            "baudrate": m.whole("baudrate", 19200, minimum=1200, maximum=115200)}


def _led_options(node: Node, *, counter, **_) -> dict:
    m = node.mapping(["address", "baudrate", "digits"])
    if m is None:
        return {}
    return {"address": m.whole("address", counter or 1, minimum=1, maximum=99),
            "baudrate": m.whole("baudrate", 9600, minimum=1200, maximum=115200),
            "digits": m.whole("digits", 4, minimum=3, maximum=8)}


# Each device kind's options reader: a new kind adds its reader here.
_OPTION_READERS: dict[str, Callable[..., dict]] = {
    "rating_panel": _panel_options, "printer": _printer_options, "led_display": _led_options}


def _check_buses(nodes: list[Node], devices: list[DeviceConfig | None]) -> None:
    """Panels sharing a serial port form an RS-485 bus: all RS-485, distinct addresses, one agent."""
    by_url: dict[str, list[tuple[Node, DeviceConfig]]] = {}
    for node, device in zip(nodes, devices, strict=True):
        if device is not None and device.kind in ("rating_panel", "led_display"):
            by_url.setdefault(device.url, []).append((node, device))
    for members in by_url.values():
        if len(members) < 2:
            continue
        for node, device in members:
            model = MODELS.get(device.options.get("model", "")) if device.kind == "rating_panel" else None
            if model is None or not model.shares_port:
                node.error(f"shares {device.url} with another device: only panels of a bus model "
                           f"({', '.join(mo.label for mo in MODELS.values() if mo.shares_port)}) can share a port")
        check_unique([(n, d.options.get("address")) for n, d in members], "bus address")
        if len({d.agent for _, d in members}) > 1:
            members[0][0].error(f"the panels on {members[0][1].url} must belong to one agent")
