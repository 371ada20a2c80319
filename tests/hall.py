"""The hall the tests run on: small enough to reason about, shaped like a real one."""
from __future__ import annotations

import copy
from functools import cache

from werkzeug.security import generate_password_hash

PASSWORD = "Test@2026"
ADMIN_PASSWORD = "Admin@2026"
KIOSK_TOKEN = "test-kiosk-token-0001"
KIOSK_B_TOKEN = "test-kiosk-token-0002"
DISPLAY_TOKEN = "test-display-token-01"
AGENT_TOKEN = "test-agent-token-0001"
OTHER_SITE_KIOSK_TOKEN = "test-other-kiosk-0001"


@cache
def password_hash(password: str) -> str:
    # Few iterations: hashing cost is not what these tests are about.
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def hall_document(prefix: str, **site_overrides) -> dict:
    """A config document: site 'hcc' (4 fields, 5 counters) and a second site 'xa'."""
    officers = [{"username": f"cb{n}", "name": f"Cán bộ {n}", "counters": [n], "password_hash": password_hash(PASSWORD)}
                for n in range(1, 6)]
    officers.append({"username": "admin", "name": "Quản trị", "role": "admin",
                     "password_hash": password_hash(ADMIN_PASSWORD)})
    site = {
        "id": "hcc",
        "name": "Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm",
        "name_en": "Test Provincial Centre",
        "timezone": "Asia/Ho_Chi_Minh",
        "opening_hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]},
        "holidays": ["2026-12-31"],
        "no_show_restore_minutes": 30,
        "recent_calls": 10,
        "priority": {"ratio": "2:1", "categories": [
            {"code": "merit", "name": "Người có công với cách mạng", "weight": 3},
            {"code": "elderly", "name": "Người cao tuổi", "weight": 1},
            {"code": "disabled", "name": "Người khuyết tật", "weight": 1},
        ]},
        "fields": [
            {"code": "TP", "name": "Tư pháp – Hộ tịch", "name_en": "Justice", "numbers": "1001-1999",
             "target_wait_minutes": 15, "service_minutes": 8},
            {"code": "DD", "name": "Đất đai", "name_en": "Land", "numbers": "2001-2999", "daily_cap": 5,
             "service_minutes": 15},
            {"code": "XD", "name": "Xây dựng", "name_en": "Construction", "numbers": "3001-3999"},
            {"code": "KD", "name": "Đăng ký kinh doanh", "prefix": "K"},
        ],
        "counters": [
            {"number": 1, "fields": ["TP"]},
            {"number": 2, "fields": ["DD"]},
            {"number": 3, "fields": ["TP", "DD", "XD"], "policy": "oldest"},
            {"number": 4, "fields": ["XD", "TP"], "policy": "in_order"},
            {"number": 5, "fields": ["KD"]},
        ],
        "officers": officers,
        "kiosks": [{"id": "kiosk-1", "token": KIOSK_TOKEN},
                   {"id": "kiosk-2", "token": KIOSK_B_TOKEN}],
        "displays": [{"id": "display-1", "token": DISPLAY_TOKEN}],
        "agents": [{"id": "agent-1", "token": AGENT_TOKEN}],
        # A rating panel at every counter, read by agent-1 (the server never opens the ports).
        "devices": [{"id": f"panel-{n}", "kind": "rating_panel", "url": f"/dev/ttyQMS{n}", "counter": n,
                     "agent": "agent-1"} for n in range(1, 6)],
    }
    site.update(copy.deepcopy(site_overrides))
    other = {
        "id": "xa", "name": "Bộ phận Một cửa xã Thử nghiệm", "opening_hours": "always",
        "fields": [{"code": "A", "name": "Hộ tịch", "prefix": "A"}],
        "counters": [{"number": 1, "fields": ["A"]}],
        "officers": [{"username": "cbxa", "name": "Cán bộ xã", "counters": [1],
                      "password_hash": password_hash(PASSWORD)}],
        "kiosks": [{"id": "kiosk-xa", "token": OTHER_SITE_KIOSK_TOKEN}],
    }
    # Cheap hashes (see password_hash above) are accepted on purpose, and only here.
    return {"server": {"async_mode": "threading", "log_level": "INFO", "accept_weak_hashes": True},
            "redis": {"key_prefix": prefix}, "sites": [site, other]}
