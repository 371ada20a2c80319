"""config.yaml: the hall (sites, fields, counters, officers, devices) and the server settings.

``load_config`` validates the whole file and raises ConfigError listing every problem
with its path; the server refuses to start half-configured.
"""
from __future__ import annotations

import hashlib
import ipaddress
import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .appointments import AppointmentsConfig, parse_appointments
from .catalogue import Catalogue, Procedure, load_catalogue, read_procedures
from .devices import DeviceConfig, RatingConfig, parse_devices, parse_ratings
from .opening_hours import OpeningHours, parse_days, parse_interval
from .password_policy import weakness
from .reader import SLUG, ConfigError, Mapping, Node, check_unique, load_yaml
from .reader import flag as _flag
from .remote import RemoteConfig, parse_remote
from .webhooks import Webhook, parse_webhooks

logger = logging.getLogger(__name__)

__all__ = ["Config", "ConfigError", "DeviceConfig", "RatingConfig", "load_config", "parse_config"]

ASYNC_MODES = ("eventlet", "gevent", "threading")
POLICIES = ("oldest", "in_order")
FIELD_KINDS = ("service", "pickup", "bulk")
MAX_DOSSIERS_PER_TICKET = 200
ROLES = ("officer", "admin", "leader")      # a site's people: serve, run the site, read its reports
PROVINCE_ROLES = ("province_admin", "leader")  # the province's: run every site, read the sites given
FIELD_CODE = re.compile(r"^[A-Za-z0-9_]{1,16}$")
PREFIX = re.compile(r"^[A-Z]{1,3}$")
NUMBERS = re.compile(r"^(\d{1,6})-(\d{1,6})$")
PASSWORD_HASH = re.compile(r"^(scrypt|pbkdf2)(:[\w:]+)?\$[^$]+\$[0-9a-f]+$")
REDIS_URL = re.compile(r"^(redis|rediss|unix)://")
PUBLIC_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
MAX_WEIGHT = 99


@dataclass(frozen=True)
class FieldConfig:
    """A field (lĩnh vực): its numbers, daily cap and target waiting time."""

    code: str
    name: str
    name_en: str
    first: int
    last: int
    prefix: str
    digits: int
    daily_cap: int | None
    target_wait_seconds: int
    service_seconds: int
    agency: str = ""   # the sở/ngành the field belongs to, for the province's reports by agency
    # 'service' (a visitor files a dossier), 'pickup' (a result-pickup lane, "trả kết quả":
    # reached by scanning a receipt at the kiosk, not by a button of its own) or 'bulk' (below).
    kind: str = "service"
    pickup: str = ""   # the pickup lane where this field's results are returned ('': its own counters)
    # 'bulk': a lane for businesses, postal workers and authorised agents who bring many
    # dossiers (reached from its service field's question at the kiosk, not a button of its own).
    bulk: str = ""     # this field's bulk lane ('': none)
    dossiers_per_ticket: int = 1   # the most dossiers one ticket may declare (bulk lanes: 20 unless set)

    def pickup_lane(self) -> str:
        """The field whose line a visitor collecting this field's result joins."""
        return self.pickup or self.code

    def label(self, number: int) -> str:
        """The number as printed and announced: '1023' or 'A023'."""
        return f"{self.prefix}{number:0{self.digits}d}" if self.prefix else str(number)


@dataclass(frozen=True)
class CounterConfig:
    number: int
    name: str
    fields: tuple[str, ...]
    policy: str

    @property
    def id(self) -> str:
        return str(self.number)


@dataclass(frozen=True)
class OfficerConfig:
    username: str
    name: str
    password_hash: str
    counters: tuple[int, ...]
    role: str
    disabled: bool = False   # kept for the names in reports and the audit; cannot sign in

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ProvinceUser:
    """A person of the province, not of one site: a province admin (every site, as a site admin
    there) or a leader who reads the reports and monitors of the sites given to them."""

    username: str
    name: str
    password_hash: str
    role: str
    sites: tuple[str, ...]   # a leader's; a province admin has every site
    disabled: bool = False   # cannot sign in; kept for the audit's names

    @property
    def is_admin(self) -> bool:
        return self.role == "province_admin"

    def site_ids(self, every: Iterable[str]) -> list[str]:
        """The sites this person may see, in config order."""
        return [s for s in every if self.is_admin or s in self.sites]


@dataclass(frozen=True)
class ProvinceConfig:
    name: str = ""
    name_en: str = ""
    users: dict[str, ProvinceUser] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientConfig:
    """A kiosk, lobby display or device agent, authenticated by its token."""

    kind: str
    id: str
    name: str
    token: str            # as config.yaml gives it; "" when only its digest is kept
    fields: tuple[str, ...] = ()
    counters: tuple[int, ...] = ()
    # Lobby displays only:
    notice: str = ""
    voice: str = "clips"
    voice_repeat: int = 2
    voice_speed: float = 1.1   # clips played faster (1.2) or slower (1.0), the pauses between them too
    read_digits: bool = False
    recent_calls: int = 8
    layout: str = "standard"
    # What a request's token is checked against: SHA-256 of the token, hex. A token made in the
    # live administration is shown once and only this is kept (server/config/devices_live.py).
    token_sha256: str = ""
    disabled: bool = False   # revoked: its token opens nothing until it is enabled again


@dataclass(frozen=True)
class PriorityCategory:
    code: str
    name: str
    name_en: str
    weight: int


@dataclass(frozen=True)
class SiteConfig:
    id: str
    name: str
    name_en: str
    timezone: ZoneInfo
    opening_hours: OpeningHours
    no_show_restore_seconds: int
    recent_calls: int
    idempotency_seconds: int
    priority_ratio: tuple[int, int]
    categories: dict[str, PriorityCategory]
    fields: dict[str, FieldConfig]
    counters: dict[int, CounterConfig]
    officers: dict[str, OfficerConfig]
    kiosks: dict[str, ClientConfig]
    displays: dict[str, ClientConfig]
    agents: dict[str, ClientConfig]
    devices: dict[str, DeviceConfig]
    catalogue: Catalogue | None = None
    kiosk_pin_hash: str = ""
    ratings: RatingConfig = field(default_factory=RatingConfig)
    kiosk_tickets_per_minute: int = 30
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    remote: RemoteConfig = field(default_factory=RemoteConfig)   # numbers taken away from the hall
    appointments: AppointmentsConfig = field(default_factory=AppointmentsConfig)   # slots booked ahead

    def counters_serving(self, field_code: str) -> tuple[CounterConfig, ...]:
        return tuple(c for c in self.counters.values() if field_code in c.fields)

    @property
    def procedures(self) -> dict[str, Procedure]:
        """The procedure catalogue by code (empty: none)."""
        return {p.code: p for p in self.catalogue.procedures} if self.catalogue is not None else {}


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"  # this computer only: a hall puts its LAN address here deliberately
    port: int = 8080
    async_mode: str = "eventlet"
    data_dir: Path = Path("data")
    public_url: str = ""
    behind_proxy: bool = False
    # The proxies whose X-Forwarded-* headers are believed (when behind_proxy): nginx on this machine.
    proxy_addresses: frozenset[str] = frozenset({"127.0.0.1", "::1"})
    voice_dir: Path = Path("data/voice")
    max_body_bytes: int = 65536
    session_seconds: int = 12 * 3600
    session_max_seconds: int = 16 * 3600
    accept_weak_hashes: bool = False  # test suites only: see server/config/password_policy.py
    log_level: str = "INFO"
    # A hostile LAN (docs/security.md): connections held at once (eventlet), seconds for a
    # request's line and headers, seconds a read may wait, seconds and sessions per address
    # for Engine.IO sessions that have not joined Socket.IO.
    max_connections: int = 8192
    header_timeout_seconds: float = 10.0
    socket_timeout_seconds: float = 60.0
    handshake_timeout_seconds: float = 10.0
    anonymous_sessions_per_address: int = 32
    workers: int = 0   # server processes behind the port (qms serve --workers); 0: one per core


@dataclass(frozen=True)
class RedisConfig:
    url: str = ""
    key_prefix: str = "qms"
    appendfsync: str = "always"
    server_binary: str = ""   # the embedded redis-server to run; empty: the newest found
    cluster: bool = False     # url names one node of a Redis Cluster (server/store/clients.py)


@dataclass(frozen=True)
class ArchiveConfig:
    url: str = ""                      # empty: sqlite in data_dir/archive.sqlite
    redis_days: int = 14               # days a closed day's records stay in Redis (0 = for ever)
    stream_hours: int = 48             # archived stream entries kept in Redis this long


@dataclass(frozen=True)
class Config:
    server: ServerConfig
    redis: RedisConfig
    sites: dict[str, SiteConfig]
    path: Path | None = None
    archive: ArchiveConfig = ArchiveConfig()
    province: ProvinceConfig = ProvinceConfig()

    @property
    def archive_url(self) -> str:
        return self.archive.url or f"sqlite:///{self.server.data_dir / 'archive.sqlite'}"


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming every bad path and value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"cannot read the file: {err.strerror or err}"], str(path)) from err
    except UnicodeDecodeError as err:
        raise ConfigError([f"not UTF-8 text: {err}"], str(path)) from err
    return parse_config(load_yaml(text, str(path)), base_dir=path.parent.resolve(),
                        source=str(path), path=path.resolve())


def parse_config(document: Any, *, base_dir: Path | None = None, source: str = "config",
                 path: Path | None = None, schema: dict | None = None) -> Config:
    """Validate an already-parsed document (tests build configs as dicts). With ``schema``,
    also write down as JSON Schema what was asked of each value (server/config/schema.py)."""
    errors: list[str] = []
    root = Node(document, "", errors, schema).mapping(["server", "redis", "archive", "province", "sites"])
    if root is None:
        raise ConfigError(errors, source)
    server = _server(root.node("server"), base_dir or Path.cwd())
    redis_cfg = _redis(root.node("redis"))
    archive = _archive(root.node("archive"))
    site_nodes = root.node("sites").items(required=True)
    sites = [_site(n, base_dir or Path.cwd()) for n in site_nodes]
    check_unique([(n, s.id if s else None) for n, s in zip(site_nodes, sites, strict=True)], "site id")
    province = _province(root.node("province"), sites)
    weak = _weak_hashes(site_nodes, sites) + [
        (f"province.users[{j}].password_hash", why) for j, user in enumerate(province.users.values())
        if (why := weakness(user.password_hash))]
    if server.accept_weak_hashes:
        for where, why in weak:
            logger.warning("%s: %s (accepted: server.accept_weak_hashes is set)", where, why)
    else:
        errors.extend(f"{where}: {why}; make a new one with: qms hash-password" for where, why in weak)
    _check_tokens_unique(site_nodes, sites)
    if errors:
        raise ConfigError(errors, source)
    return Config(server=server, redis=redis_cfg, archive=archive, province=province,
                  sites={s.id: s for s in sites if s is not None}, path=path)


def _weak_hashes(site_nodes: list[Node], sites: list) -> list[tuple[str, str]]:
    """(path, reason) of each password or PIN hash weaker than the policy."""
    found = []
    for node, site in zip(site_nodes, sites, strict=True):
        if site is None:
            continue
        if site.kiosk_pin_hash and (why := weakness(site.kiosk_pin_hash)):
            found.append((node.child_path("kiosk_pin_hash"), why))
        for j, officer in enumerate(site.officers.values()):
            if why := weakness(officer.password_hash):
                found.append((f"{node.child_path('officers')}[{j}].password_hash", why))
    return found


def _server(node: Node, base_dir: Path) -> ServerConfig:
    m = node.mapping(["host", "port", "async_mode", "data_dir", "public_url", "voice_dir", "behind_proxy",
                      "proxy_addresses",
                      "max_body_bytes", "session_hours", "session_max_hours", "log_level",
                      "accept_weak_hashes", "max_connections", "header_timeout_seconds", "socket_timeout_seconds",
                      "handshake_timeout_seconds", "anonymous_sessions_per_address", "workers"])
    if m is None:
        return ServerConfig()
    data_dir = Path(m.text("data_dir", "data"))
    data_dir = data_dir if data_dir.is_absolute() else base_dir / data_dir
    voice_dir = Path(m.text("voice_dir", str(data_dir / "voice")))
    public_url = m.text("public_url", "") or ""
    if public_url and not PUBLIC_URL.match(public_url):
        m.node("public_url").error(f"{public_url!r} is not an http:// or https:// address")
    session_hours = m.whole("session_hours", 12, minimum=1, maximum=24 * 7)
    session_max_hours = m.whole("session_max_hours", max(16, session_hours), minimum=1, maximum=24 * 30)
    if session_max_hours < session_hours:
        m.node("session_max_hours").error(f"{session_max_hours} is shorter than session_hours ({session_hours})")
    return ServerConfig(
        host=m.text("host", "127.0.0.1"),
        port=m.whole("port", 8080, minimum=1, maximum=65535),
        async_mode=m.text("async_mode", "eventlet", choices=ASYNC_MODES),
        data_dir=data_dir,
        voice_dir=voice_dir if voice_dir.is_absolute() else base_dir / voice_dir,
        public_url=public_url.rstrip("/"),
        behind_proxy=_flag(m, "behind_proxy"),
        proxy_addresses=_addresses(m, "proxy_addresses", ServerConfig.proxy_addresses),
        max_body_bytes=m.whole("max_body_bytes", 65536, minimum=1024, maximum=10 * 1024 * 1024),
        session_seconds=3600 * session_hours,
        session_max_seconds=3600 * session_max_hours,
        accept_weak_hashes=_flag(m, "accept_weak_hashes"),
        log_level=m.text("log_level", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
        max_connections=m.whole("max_connections", 8192, minimum=64, maximum=65536),
        header_timeout_seconds=m.number("header_timeout_seconds", 10, minimum=1, maximum=300),
        # Above Engine.IO's ping interval plus its timeout (25 + 20 s): a live screen is never cut.
        socket_timeout_seconds=m.number("socket_timeout_seconds", 60, minimum=50, maximum=3600),
        handshake_timeout_seconds=m.number("handshake_timeout_seconds", 10, minimum=1, maximum=300),
        anonymous_sessions_per_address=m.whole("anonymous_sessions_per_address", 32, minimum=1, maximum=10000),
        workers=m.whole("workers", 0, minimum=0, maximum=64),
    )


def _addresses(m: Mapping, key: str, default: frozenset[str]) -> frozenset[str]:
    """A list of IP addresses (no names: a proxy is trusted by the address it connects from)."""
    m.node(key).expect({"type": ["array", "null"], "minItems": 1, "items": {"type": "string"}})
    value = m.data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not value:
        m.node(key).error("expected a list of IP addresses, e.g. [127.0.0.1]")
        return default
    out = set()
    for i, item in enumerate(value):
        try:
            out.add(str(ipaddress.ip_address(str(item))))
        except ValueError:
            Node(None, m.node(key).child_path(i), m.node(key).errors).error(f"{item!r} is not an IP address")
    return frozenset(out)


def _redis(node: Node) -> RedisConfig:
    m = node.mapping(["url", "key_prefix", "appendfsync", "server_binary", "cluster"])
    if m is None:
        return RedisConfig()
    url = m.text("url", "") or ""
    if url and not REDIS_URL.match(url):
        m.node("url").error(f"{url!r} is not a redis://, rediss:// or unix:// URL")
    cluster = _flag(m, "cluster")
    if cluster and not url.startswith(("redis://", "rediss://")):
        m.node("cluster").error("a Redis Cluster is reached over TCP: set url to one of its nodes "
                                "(redis://host:port); the embedded Redis is a single server")
    return RedisConfig(
        url=url,
        key_prefix=m.text("key_prefix", "qms", pattern=re.compile(r"^[A-Za-z0-9_.-]{1,32}$"),
                         hint="letters, digits, '_', '.', '-'"),
        appendfsync=m.text("appendfsync", "always", choices=("always", "everysec", "no")),
        server_binary=m.text("server_binary", "") or "",
        cluster=cluster,
    )


def _archive(node: Node) -> ArchiveConfig:
    m = node.mapping(["url", "redis_days", "stream_hours"])
    if m is None:
        return ArchiveConfig()
    url = m.text("url", "") or ""
    if url and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        m.node("url").error(f"{url!r} is not a sqlite:// or postgresql:// URL")
    return ArchiveConfig(url=url, redis_days=m.whole("redis_days", 14, minimum=0, maximum=3650),
                         stream_hours=m.whole("stream_hours", 48, minimum=1, maximum=24 * 365))


SITE_KEYS = ["id", "name", "name_en", "timezone", "opening_hours", "holidays",
             "no_show_restore_minutes", "recent_calls", "idempotency_hours", "priority",
             "fields", "counters", "officers", "kiosks", "displays", "agents", "devices", "catalogue",
             "kiosk_pin_hash", "ratings", "kiosk_tickets_per_minute", "webhooks", "remote",
             "appointments"]


def read_timezone(m) -> ZoneInfo:
    """A site's ``timezone`` (an IANA name; Vietnam's by default): its business day is the local date."""
    tz_name = m.text("timezone", "Asia/Ho_Chi_Minh")
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        m.node("timezone").error(f"unknown time zone {tz_name!r}")
        return ZoneInfo("Asia/Ho_Chi_Minh")


def _site(node: Node, base_dir: Path) -> SiteConfig | None:
    m = node.mapping(SITE_KEYS)
    if m is None:
        return None
    site_id = m.text("id", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'")
    tz = read_timezone(m)
    days_off = _days_off(m.node("holidays"))
    ratio, categories = _priority(m.node("priority"))
    fields = _fields(m.node("fields"))
    counters = _counters(m.node("counters"), fields)
    officers = _officers(m.node("officers"), counters)
    kiosks = _clients(m.node("kiosks"), "kiosk", fields, counters)
    displays = _clients(m.node("displays"), "display", fields, counters)
    agents = _clients(m.node("agents"), "agent", fields, counters)
    all_clients = [(n, c.id) for n, c in kiosks + displays + agents]
    check_unique(all_clients, "kiosk/display/agent id")
    ratings = parse_ratings(m.node("ratings"))
    devices = parse_devices(m.node("devices"), counters, {c.id for _, c in agents}, {c.id for _, c in kiosks},
                            ratings)
    catalogue = None
    if isinstance(m.data.get("catalogue"), list):   # inline (a catalogue changed live, as exported)
        catalogue = Catalogue(read_procedures(m.node("catalogue"), set(fields)))
    elif catalogue_file := m.text("catalogue", None):
        path = Path(catalogue_file)
        try:
            catalogue = load_catalogue(path if path.is_absolute() else base_dir / path, set(fields),
                                       m.node("catalogue").path)
        except ConfigError as err:
            node.errors.extend(err.errors)
    m.node("catalogue").expect({"type": ["string", "array", "null"], "items": {"type": "object"}})
    return SiteConfig(
        id=site_id or "",
        name=m.text("name", required=True) or "",
        name_en=m.text("name_en", "") or "",
        timezone=tz,
        opening_hours=_opening_hours(m.node("opening_hours"), days_off),
        no_show_restore_seconds=60 * m.whole("no_show_restore_minutes", 30, minimum=0, maximum=24 * 60),
        recent_calls=m.whole("recent_calls", 10, minimum=1, maximum=50),
        idempotency_seconds=3600 * m.whole("idempotency_hours", 24, minimum=1, maximum=24 * 7),
        priority_ratio=ratio,
        categories=categories,
        fields=fields,
        counters=counters,
        officers=officers,
        kiosks={c.id: c for _, c in kiosks},
        displays={c.id: c for _, c in displays},
        agents={c.id: c for _, c in agents},
        devices=devices,
        catalogue=catalogue,
        kiosk_pin_hash=m.text("kiosk_pin_hash", "", pattern=PASSWORD_HASH,
                             hint="a hash made by qms hash-password --pin") or "",
        ratings=ratings,
        kiosk_tickets_per_minute=m.whole("kiosk_tickets_per_minute", 30, minimum=1, maximum=100_000),
        webhooks=parse_webhooks(m.node("webhooks")),
        remote=parse_remote(m.node("remote"), fields),
        appointments=parse_appointments(m.node("appointments"), fields),
    )


DATE_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _holiday(node: Node) -> date | None:
    node.expect(DATE_SCHEMA)
    value = node.value
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        node.error(f"{value!r} is not a date (YYYY-MM-DD)")
        return None


CALENDARS = ("VN", "none")


def _days_off(node: Node) -> dict:
    """holidays: a list of extra days off (with Vietnam's official calendar), or
    {calendar: VN | none, extra: [...], working_days: [...]}."""
    node.expect({"oneOf": [
        {"type": ["array", "null"], "items": DATE_SCHEMA},
        {"type": "object", "additionalProperties": False,
         "properties": {"calendar": {"enum": list(CALENDARS)}, "extra": {"type": "array", "items": DATE_SCHEMA},
                        "working_days": {"type": "array", "items": DATE_SCHEMA}}}]})
    node = Node(node.value, node.path, node.errors)  # read by hand: the schema is the one above
    if node.value is None or isinstance(node.value, list):
        return {"holidays": frozenset(d for d in (_holiday(n) for n in node.items()) if d), "calendar": "VN"}
    m = node.mapping(["calendar", "extra", "working_days"])
    if m is None:
        return {"calendar": "VN"}
    calendar = m.text("calendar", "VN", choices=CALENDARS) or "VN"
    return {"calendar": "" if calendar == "none" else calendar,
            "holidays": frozenset(d for d in m.list_of("extra", _holiday) if d),
            "working_days": frozenset(d for d in m.list_of("working_days", _holiday) if d)}


SESSION = r"^\s*\d{2}:\d{2}-\d{2}:\d{2}\s*$"  # as opening_hours.parse_interval reads it


def _opening_hours(node: Node, days_off: dict) -> OpeningHours:
    node.expect({"oneOf": [{"const": "always"}, {
        "type": "object", "minProperties": 1,
        "propertyNames": {"pattern": r"^[A-Za-z ,-]+$"},  # mon, mon-fri, sat,sun
        "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": SESSION}}}]})
    if node.value == "always":
        return OpeningHours(always=True, **days_off)
    if node.value is None:
        node.error("is required: a mapping such as {mon-fri: ['07:30-11:30', '13:30-17:00']} or 'always'")
        return OpeningHours(always=True)
    if not isinstance(node.value, dict):
        node.error("expected a mapping of days to sessions, or 'always'")
        return OpeningHours(always=True)
    week: dict[int, list] = {}
    for spec, sessions in node.value.items():
        day_node = Node(sessions, node.child_path(str(spec)), node.errors)  # (its schema: expect() above)
        days = parse_days(str(spec))
        if days is None:
            day_node.error("unknown day: use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri")
            continue
        intervals = []
        for item in day_node.items(required=True):
            interval = parse_interval(item.value)
            if interval is None:
                item.error(f"{item.value!r} is not a session like '07:30-11:30'")
            else:
                intervals.append(interval)
        intervals.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(intervals):
            if s2 < e1:
                day_node.error("sessions overlap")
        for d in days:
            if d in week:
                day_node.error(f"day '{('mon','tue','wed','thu','fri','sat','sun')[d]}' is given twice")
            week[d] = intervals
    return OpeningHours(week={d: tuple(v) for d, v in week.items()}, **days_off)


def _priority(node: Node) -> tuple[tuple[int, int], dict[str, PriorityCategory]]:
    m = node.mapping(["ratio", "categories"])
    if m is None:
        return (2, 1), {}
    ratio = (2, 1)
    text = m.text("ratio", "2:1")
    m.node("ratio").expect({"type": ["string", "null"], "pattern": r"^[1-9]\d*:\d+$"})
    match = re.match(r"^(\d+):(\d+)$", text or "")
    if not match or int(match.group(1)) < 1:
        m.node("ratio").error(f"{text!r} is not a ratio 'P:N' (P priority calls, then N normal; P >= 1)")
    else:
        ratio = (int(match.group(1)), int(match.group(2)))
    nodes = m.node("categories").items()
    cats: list[PriorityCategory | None] = []
    for item in nodes:
        c = item.mapping(["code", "name", "name_en", "weight"])
        if c is None:
            cats.append(None)
            continue
        cats.append(PriorityCategory(
            code=c.text("code", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'") or "",
            name=c.text("name", required=True) or "",
            name_en=c.text("name_en", "") or "",
            weight=c.whole("weight", 1, minimum=1, maximum=MAX_WEIGHT)))
    check_unique([(n, c.code if c else None) for n, c in zip(nodes, cats, strict=True)], "priority category")
    return ratio, {c.code: c for c in cats if c is not None}


def _fields(node: Node) -> dict[str, FieldConfig]:
    nodes = node.items(required=True)
    fields: list[FieldConfig | None] = [_field(n) for n in nodes]
    check_unique([(n, f.code if f else None) for n, f in zip(nodes, fields, strict=True)], "field code")
    check_unique([(n, f.prefix if f and f.prefix else None) for n, f in zip(nodes, fields, strict=True)],
                 "number prefix")
    by_code = {f.code: f for f in fields if f is not None}
    for n, f in zip(nodes, fields, strict=True):
        for kind in ("pickup", "bulk"):
            named = getattr(f, kind) if f is not None else ""
            if not named:
                continue
            lane = by_code.get(named)
            if f is not None and f.kind != "service":
                n.error(f"field '{f.code}' is a {f.kind} lane itself; only a service field names a {kind} lane")
            elif lane is None:
                n.error(f"{kind}: unknown field {named!r}")
            elif lane.kind != kind:
                n.error(f"{kind}: field '{lane.code}' is not a {kind} lane (give it kind: {kind})")
    # Two fields without a prefix must not hand out the same number on the same day.
    plain = [(n, f) for n, f in zip(nodes, fields, strict=True) if f and not f.prefix]
    for i, (_n1, f1) in enumerate(plain):
        for n2, f2 in plain[i + 1:]:
            if f1.first <= f2.last and f2.first <= f1.last:
                n2.error(f"numbers {f2.first}-{f2.last} overlap field '{f1.code}' ({f1.first}-{f1.last});"
                         " give them separate ranges or a letter prefix")
    return {f.code: f for f in fields if f is not None}


def default_dossiers(kind: str) -> int:
    """The most dossiers a ticket declares unless the field says: many in a bulk lane, else one."""
    return 20 if kind == "bulk" else 1


def _field(node: Node) -> FieldConfig | None:
    m = node.mapping(["code", "name", "name_en", "numbers", "prefix", "digits", "daily_cap",
                      "target_wait_minutes", "service_minutes", "agency", "kind", "pickup", "bulk",
                      "dossiers_per_ticket"])
    if m is None:
        return None
    code = m.text("code", required=True, pattern=FIELD_CODE, hint="letters, digits or '_', at most 16")
    prefix = m.text("prefix", "", pattern=PREFIX, hint="1 to 3 capital letters") or ""
    numbers = m.text("numbers", None)
    m.node("numbers").expect({"type": ["string", "null"], "pattern": NUMBERS.pattern})
    first, last = (1, 999) if prefix else (1, 9999)
    if numbers is not None:
        match = NUMBERS.match(numbers)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            m.node("numbers").error(f"{numbers!r} is not a range like '1001-1999'")
        else:
            first, last = int(match.group(1)), int(match.group(2))
    digits = m.whole("digits", len(str(last)) if prefix else 1, minimum=1, maximum=6)
    if prefix and len(str(last)) > digits:
        m.node("digits").error(f"{digits} digits cannot show number {last}")
    kind = m.text("kind", "service", choices=FIELD_KINDS) or "service"
    cap = m.whole("daily_cap", None, minimum=1)
    if cap is not None and cap > last - first + 1:
        m.node("daily_cap").error(f"{cap} is more than the {last - first + 1} numbers in {first}-{last}")
    return FieldConfig(
        code=code or "",
        name=m.text("name", required=True) or "",
        name_en=m.text("name_en", "") or "",
        first=first, last=last, prefix=prefix, digits=digits or 1, daily_cap=cap,
        target_wait_seconds=int(60 * m.number("target_wait_minutes", 15, minimum=1, maximum=24 * 60)),
        service_seconds=int(60 * m.number("service_minutes", 10, minimum=0.5, maximum=8 * 60)),
        agency=m.text("agency", "") or "",
        kind=kind,
        pickup=m.text("pickup", "", pattern=FIELD_CODE, hint="the code of a field of kind: pickup") or "",
        bulk=m.text("bulk", "", pattern=FIELD_CODE, hint="the code of a field of kind: bulk") or "",
        dossiers_per_ticket=m.whole("dossiers_per_ticket", default_dossiers(kind), minimum=1,
                                    maximum=MAX_DOSSIERS_PER_TICKET) or 1,
    )


def _counters(node: Node, fields: dict[str, FieldConfig]) -> dict[int, CounterConfig]:
    nodes = node.items(required=True)
    counters: list[CounterConfig | None] = []
    for item in nodes:
        m = item.mapping(["number", "name", "fields", "policy"])
        if m is None:
            counters.append(None)
            continue
        number = m.whole("number", required=True, minimum=1, maximum=9999)
        field_nodes = m.node("fields").items(required=True)
        codes = [_field_ref(n, fields) for n in field_nodes]
        check_unique(list(zip(field_nodes, codes, strict=True)), "field")
        counters.append(CounterConfig(number=number or 0, name=m.text("name", f"Quầy {number}"),
                                      fields=tuple(c for c in codes if c),
                                      policy=m.text("policy", "oldest", choices=POLICIES)))
    check_unique([(n, c.number if c else None) for n, c in zip(nodes, counters, strict=True)], "counter number")
    return {c.number: c for c in counters if c is not None}


def _field_ref(node: Node, fields: dict[str, FieldConfig]) -> str | None:
    node.expect({"type": ["string", "integer"]})
    code = node.value
    if not isinstance(code, (str, int)) or str(code) not in fields:
        node.error(f"unknown field {code!r}")
        return None
    return str(code)


def _counter_ref(node: Node, counters: dict[int, CounterConfig]) -> int | None:
    node.expect({"type": "integer"})
    number = node.value
    if isinstance(number, bool) or not isinstance(number, int) or number not in counters:
        node.error(f"unknown counter {number!r}")
        return None
    return number


def _person(m: Mapping) -> tuple[str, str, str]:
    """The username, name and password hash every person who signs in has."""
    m.node("password").expect({"not": {}, "description": "plain passwords are refused: store password_hash "
                                                         "(qms hash-password makes one)"})
    if "password" in m.data:
        m.node("password").error("plain passwords are not accepted: store password_hash"
                                 " (make one with: qms hash-password)")
    return (m.text("username", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'") or "",
            m.text("name", required=True) or "",
            m.text("password_hash", required=True, pattern=PASSWORD_HASH,
                   hint="a scrypt or pbkdf2 hash made by qms hash-password") or "")


def _officers(node: Node, counters: dict[int, CounterConfig]) -> dict[str, OfficerConfig]:
    nodes = node.items()
    officers: list[OfficerConfig | None] = []
    for item in nodes:
        m = item.mapping(["username", "name", "password_hash", "password", "counters", "role", "disabled"])
        if m is None:
            officers.append(None)
            continue
        username, name, password_hash = _person(m)
        role = m.text("role", "officer", choices=ROLES)
        refs = m.list_of("counters", lambda n: _counter_ref(n, counters))
        if role == "officer" and not m.data.get("counters"):
            m.node("counters").error("an officer needs at least one counter")
        if role == "leader" and m.data.get("counters"):
            m.node("counters").error("a leader reads reports and serves at no counter: remove counters")
        officers.append(OfficerConfig(username=username, name=name, password_hash=password_hash,
                                      counters=tuple(refs), role=role or "officer", disabled=_flag(m, "disabled")))
    check_unique([(n, o.username if o else None) for n, o in zip(nodes, officers, strict=True)], "username")
    return {o.username: o for o in officers if o is not None}


def _province(node: Node, sites: list[SiteConfig | None]) -> ProvinceConfig:
    """The province's name and its people: province admins and the leaders of several sites."""
    m = node.mapping(["name", "name_en", "users"])
    if m is None:
        return ProvinceConfig()
    known = [s.id for s in sites if s is not None]

    def site_ref(n: Node) -> str | None:
        n.expect({"type": "string"})
        if n.value not in known:
            n.error(f"unknown site {n.value!r}")
            return None
        return str(n.value)

    site_users = {o: s.id for s in sites if s is not None for o in s.officers}
    nodes = m.node("users").items()
    users: list[ProvinceUser | None] = []
    for item in nodes:
        u = item.mapping(["username", "name", "password_hash", "password", "role", "sites", "disabled"])
        if u is None:
            users.append(None)
            continue
        username, name, password_hash = _person(u)
        role = u.text("role", required=True, choices=PROVINCE_ROLES) or "leader"
        refs = tuple(u.list_of("sites", site_ref))
        if role == "leader" and not u.data.get("sites"):
            u.node("sites").error("a leader needs the sites they read (a province admin has them all)")
        if role == "province_admin" and u.data.get("sites"):
            u.node("sites").error("a province admin has every site: remove sites")
        if username in site_users:
            u.node("username").error(f"{username!r} is already an officer of site {site_users[username]}: "
                                     "one name, one person")
        users.append(ProvinceUser(username=username, name=name, password_hash=password_hash, role=role,
                                  sites=refs, disabled=_flag(u, "disabled")))
    check_unique([(n, p.username if p else None) for n, p in zip(nodes, users, strict=True)], "username")
    return ProvinceConfig(name=m.text("name", "") or "", name_en=m.text("name_en", "") or "",
                          users={p.username: p for p in users if p is not None})


def token_digest(token: str) -> str:
    """What a device token is known by: SHA-256, hex. Tokens are 144 random bits (qms init, the
    live administration), so a fast digest is enough; the token itself need not be kept."""
    return hashlib.sha256(token.encode()).hexdigest()


DISPLAY_KEYS = ("fields", "counters", "notice", "voice", "voice_repeat", "voice_speed", "read_digits",
                "recent_calls", "layout")
TOKEN = re.compile(r"^[A-Za-z0-9_.~-]{16,128}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _clients(node: Node, kind: str, fields, counters) -> list[tuple[Node, ClientConfig]]:
    out = []
    for item in node.items():
        allowed = ["id", "name", "token", "token_sha256", "disabled"] + (["fields"] if kind == "kiosk" else []) \
            + (list(DISPLAY_KEYS) if kind == "display" else [])
        m = item.mapping(allowed)
        if m is None:
            continue
        token = m.text("token", "", pattern=TOKEN, hint="16 to 128 letters, digits or -_.~") or ""
        digest = m.text("token_sha256", "", pattern=SHA256, hint="64 lower-case hexadecimal digits") or ""
        if "token" in m.data and "token_sha256" in m.data:
            m.node("token_sha256").error("give the token or its token_sha256, not both")
        elif "token" not in m.data and "token_sha256" not in m.data:
            m.node("token").error("is required (or token_sha256, the token's SHA-256)")
        client = ClientConfig(
            kind=kind,
            id=m.text("id", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'") or "",
            name=m.text("name", "") or "",
            token=token,
            token_sha256=token_digest(token) if token else digest,
            disabled=_flag(m, "disabled"),
            fields=tuple(m.list_of("fields", lambda n: _field_ref(n, fields))),
            counters=tuple(m.list_of("counters", lambda n: _counter_ref(n, counters))),
            notice=m.text("notice", "") or "",
            voice=m.text("voice", "clips", choices=("clips", "browser", "off")) or "clips",
            voice_repeat=m.whole("voice_repeat", 2, minimum=1, maximum=3) or 2,
            voice_speed=m.number("voice_speed", 1.1, minimum=0.75, maximum=1.5) or 1.1,
            read_digits=_flag(m, "read_digits"),
            recent_calls=m.whole("recent_calls", 8, minimum=1, maximum=20) or 8,
            layout=m.text("layout", "standard", choices=("standard", "calls", "counters")) or "standard")
        out.append((item, client))
    return out


def _check_tokens_unique(site_nodes: list[Node], sites: list[SiteConfig | None]) -> None:
    seen: dict[str, str] = {}
    for node, site in zip(site_nodes, sites, strict=True):
        if site is None:
            continue
        for client in [*site.kiosks.values(), *site.displays.values(), *site.agents.values()]:
            if not client.token_sha256:
                continue
            where = f"{node.path}.{client.kind}s[{client.id}]"
            if client.token_sha256 in seen:
                Node(None, where, node.errors).error(f"token is already used by {seen[client.token_sha256]}")
            else:
                seen[client.token_sha256] = where


def describe(config: Config) -> dict[str, Any]:
    """A short summary for `qms check-config`."""
    return {sid: {"fields": len(s.fields), "counters": len(s.counters), "officers": len(s.officers),
                  "kiosks": len(s.kiosks), "displays": len(s.displays), "agents": len(s.agents),
                  "devices": len(s.devices)} for sid, s in config.sites.items()}
