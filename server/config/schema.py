"""The JSON Schema of config.yaml, written down by the reader itself.

server/config/reader.py records, as it reads, what it asks of every value (type, range,
pattern, choices, required keys, no unknown keys). Reading EXAMPLE, a document that uses
every part of the config once, therefore yields the schema: it cannot drift from the
checks, because it is made by them. What JSON Schema cannot say (references between fields,
counters, officers and devices; duplicates; overlapping number ranges; the strength of a
password hash) only `qms check-config` checks.

    python -m server.config.schema > docs/config.schema.json

Editors that know JSON Schema (VS Code's YAML extension, JetBrains) then check config.yaml
as it is typed: its first line names the schema.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# The demo config's published kiosk PIN hash: a real scrypt hash at the policy's cost. The
# example is only read, never served.
_HASH = ("scrypt:131072:8:1$0tIrNcojMBLzdit5$a4db3ab4cb6525f0ca82ba0c6818d4580d6bc35e46a3b6c42f4d7dc238be6beaa"
         "d89275946a5d3466869490d15197f168a984ac295b17184df7318a67950a3ef")

EXAMPLE: dict[str, Any] = {
    "server": {"host": "127.0.0.1", "port": 8080, "async_mode": "eventlet", "data_dir": "data",
               "public_url": "https://hcc.example.vn", "voice_dir": "data/voice", "behind_proxy": True,
               "proxy_addresses": ["127.0.0.1"], "max_body_bytes": 65536, "session_hours": 12,
               "session_max_hours": 16, "log_level": "INFO", "accept_weak_hashes": False, "max_connections": 8192,
               "header_timeout_seconds": 10, "socket_timeout_seconds": 60, "handshake_timeout_seconds": 10,
               "anonymous_sessions_per_address": 32, "workers": 0},
    "redis": {"url": "", "key_prefix": "qms", "appendfsync": "always", "server_binary": "redis-server",
              "cluster": False},
    "archive": {"url": "", "redis_days": 14, "stream_hours": 48},
    "province": {"name": "Tỉnh", "name_en": "Province", "users": [
        {"username": "qt-tinh", "name": "Quản trị tỉnh", "role": "province_admin", "password_hash": _HASH},
        {"username": "lanh-dao", "name": "Lãnh đạo", "role": "leader", "sites": ["hcc"], "password_hash": _HASH}]},
    "sites": [{
        "id": "hcc", "name": "Trung tâm", "name_en": "Centre", "timezone": "Asia/Ho_Chi_Minh",
        "opening_hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"]},
        "holidays": {"calendar": "VN", "extra": ["2027-01-02"], "working_days": ["2027-01-09"]},
        "no_show_restore_minutes": 15, "recent_calls": 8, "idempotency_hours": 24, "kiosk_tickets_per_minute": 30,
        "kiosk_pin_hash": _HASH,
        "priority": {"ratio": "2:1", "categories": [{"code": "elderly", "name": "Người cao tuổi",
                                                     "name_en": "Elderly person", "weight": 1}]},
        "fields": [{"code": "TP", "name": "Tư pháp", "name_en": "Justice", "numbers": "1001-1999", "digits": 4,
                    "daily_cap": 500, "target_wait_minutes": 15, "service_minutes": 6,
                    "agency": "Sở Tư pháp"},
                   {"code": "DD", "name": "Đất đai", "prefix": "D"}],
        "counters": [{"number": 1, "name": "Quầy 1", "fields": ["TP"], "policy": "oldest"},
                     {"number": 2, "fields": ["TP", "DD"], "policy": "in_order"}],
        "officers": [{"username": "cb1", "name": "Cán bộ 1", "counters": [1], "password_hash": _HASH,
                      "disabled": False},
                     {"username": "admin", "name": "Quản trị", "role": "admin", "password_hash": _HASH},
                     {"username": "gd", "name": "Giám đốc", "role": "leader", "password_hash": _HASH}],
        "kiosks": [{"id": "kiosk-1", "name": "Ki-ốt", "token": "kiosk-token-example-0001", "fields": ["TP"]}],
        "displays": [{"id": "display-1", "name": "Màn hình", "token": "display-token-example-01", "fields": ["TP"],
                      "counters": [1], "notice": "…", "voice": "clips", "voice_repeat": 2, "voice_speed": 1.1,
                      "read_digits": False, "recent_calls": 8, "layout": "counters"}],
        "agents": [{"id": "agent-1", "name": "Máy quầy", "token": "agent-token-example-0001"}],
        "ratings": {"window_minutes": 3, "presses_per_minute": 10,
                    "levels": [{"level": 3, "name": "Rất hài lòng", "name_en": "Very satisfied",
                                "category": "very_satisfied", "score": 3},
                               {"level": 1, "name": "Không hài lòng", "category": "dissatisfied"}]},
        "devices": [
            {"id": "panel-1", "kind": "rating_panel", "url": "/dev/ttyUSB0", "counter": 1, "agent": "agent-1",
             "options": {"model": "ascii", "baudrate": 9600, "keys": {"1": 3, "2": 1}}},
            {"id": "panel-2", "kind": "rating_panel", "url": "/dev/ttyUSB1", "counter": 2, "agent": "agent-1",
             "options": {"model": "rs485", "address": 2}},
            {"id": "printer-1", "kind": "printer", "url": "tcp://192.168.1.50:9100", "agent": "agent-1",
             "options": {"kiosk": "kiosk-1", "paper": 80, "baudrate": 19200, "raster": "compact"}},
            {"id": "led-1", "kind": "led_display", "url": "/dev/ttyUSB2", "counter": 1, "agent": "agent-1",
             "options": {"address": 1, "baudrate": 9600, "digits": 4}},
        ],
    }],
}


def build_schema() -> dict[str, Any]:
    from . import parse_config

    recorded: dict[str, Any] = {}
    parse_config(EXAMPLE, base_dir=Path(__file__).resolve().parents[2], schema=recorded, source="schema example")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/qms-hcc/qms/docs/config.schema.json",
        "title": "config.yaml of the queue system (Hệ thống xếp hàng tự động)",
        "description": "Made by python -m server.config.schema from the reader's own checks; qms check-config "
                       "also checks what a schema cannot (references, duplicates, hash strength).",
        **{**recorded, "type": "object"},
    }


def main() -> int:
    json.dump(build_schema(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
