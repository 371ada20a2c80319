"""``qms init``: a new hall's own config.yaml, with random device tokens and the passwords
its people choose, never the demo's published ones.

The hall it writes is a starting point a centre then edits (fields, counters, names):
the common fields of a one-stop unit, ``counters`` counters each serving every field
(oldest ticket first), one officer per counter, an administrator, a kiosk, a lobby
display and a device agent.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import generate_password_hash

from .password_policy import HASH_METHOD

# (code, name, English name, numbers): fields most one-stop units serve; edit to suit.
FIELDS = (
    ("TP", "Tư pháp – Hộ tịch", "Justice – Civil Status", "1001-1999"),
    ("CT", "Chứng thực", "Certification", "2001-2999"),
    ("DD", "Đất đai", "Land", "3001-3999"),
    ("XD", "Xây dựng", "Construction", "4001-4999"),
    ("KD", "Đăng ký kinh doanh", "Business Registration", "5001-5999"),
    ("XH", "Lao động – Xã hội", "Labour and Social Affairs", "6001-6999"),
)


class InitError(Exception):
    """What the person running ``qms init`` must change (the message says what)."""


@dataclass
class NewSite:
    site_id: str
    name: str
    counters: int
    host: str = "127.0.0.1"
    port: int = 8080
    name_en: str = ""
    admin_password: str = ""
    officer_passwords: list[str] = field(default_factory=list)
    kiosk_pin: str = ""

    @property
    def officers(self) -> list[str]:
        return [f"cb{n:02d}" for n in range(1, self.counters + 1)]


def check_password(who: str, password: str) -> None:
    if len(password) < 8:
        raise InitError(f"the password for {who} is shorter than 8 characters")


def check_pin(pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise InitError("the kiosk PIN is 4 to 8 digits")


def token(kind: str) -> str:
    """A device token: a readable kind, then 144 random bits."""
    return f"{kind}-{secrets.token_urlsafe(18)}"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def render(site: NewSite) -> tuple[str, dict[str, str]]:
    """The config text and the tokens it holds (to show once)."""
    tokens = {"kiosk-1": token("kiosk1"), "display-1": token("display1"), "agent-1": token("agent1")}
    hashes = [generate_password_hash(pw, method=HASH_METHOD) for pw in site.officer_passwords]
    lines = [
        f"# {site.name}: made by `qms init`. Check it with: qms check-config <this file>",
        "# The tokens and password hashes below are this hall's own secrets: keep this file",
        "# on the server (mode 600); device agents need only their own token.",
        "",
        "server:",
        f"  host: {_q(site.host)}              # 127.0.0.1: this computer only; the hall's LAN address for its screens",
        f"  port: {site.port}",
        "  data_dir: data",
        '  public_url: ""                # the address phones open from the ticket QR code, e.g. http://192.168.1.10:8080',
        "",
        "redis:",
        '  url: ""                       # empty: an embedded redis-server in data_dir/redis',
        "",
        "sites:",
        f"  - id: {site.site_id}",
        f"    name: {_q(site.name)}",
        *([f"    name_en: {_q(site.name_en)}"] if site.name_en else []),
        "    timezone: Asia/Ho_Chi_Minh",
        "    opening_hours:",
        '      mon-fri: ["07:30-11:30", "13:30-17:00"]',
        f"    kiosk_pin_hash: {_q(generate_password_hash(site.kiosk_pin, method=HASH_METHOD))}",
        "    fields:                     # edit: the fields this hall serves",
        *(f"      - {{code: {code}, name: {_q(name)}, name_en: {_q(name_en)}, numbers: {_q(numbers)}}}"
          for code, name, name_en, numbers in FIELDS),
        "    counters:                   # edit: which fields each counter serves",
        *(f"      - {{number: {n}, name: {_q(f'Quầy {n}')}, fields: [{', '.join(c for c, *_ in FIELDS)}], "
          f"policy: oldest}}" for n in range(1, site.counters + 1)),
        "    officers:                   # edit: their real names",
        *(f"      - {{username: {user}, name: {_q(f'Cán bộ quầy {n}')}, counters: [{n}], "
          f"password_hash: {_q(h)}}}" for n, (user, h) in enumerate(zip(site.officers, hashes, strict=True), 1)),
        "      - username: admin",
        f"        name: {_q('Quản trị')}",
        "        role: admin",
        f"        password_hash: {_q(generate_password_hash(site.admin_password, method=HASH_METHOD))}",
        "    kiosks:",
        f"      - {{id: kiosk-1, name: {_q('Ki-ốt')}, token: {_q(tokens['kiosk-1'])}}}",
        "    displays:",
        f"      - {{id: display-1, name: {_q('Màn hình sảnh')}, token: {_q(tokens['display-1'])}}}",
        "    agents:",
        f"      - {{id: agent-1, name: {_q('Máy tính thiết bị')}, token: {_q(tokens['agent-1'])}}}",
        "    # devices: rating panels, printers and LED displays of agent-1 (docs/hardware.md)",
        "",
    ]
    return "\n".join(lines), tokens


def write(path: Path, text: str, force: bool) -> None:
    """Create the file readable by its owner only (it holds secrets)."""
    if path.exists() and not force:
        raise InitError(f"{path} exists; choose another path or add --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
