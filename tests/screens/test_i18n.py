"""Every string a screen shows is in the catalogues, in Vietnamese and in English."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "server" / "translations"
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
# Keys built at run time from a prefix and a value the code knows the range of.
DYNAMIC = {
    "print.": ["no_printer", "printing", "printed", "failed", "paper_out", "offline", "printed_before"],
    "day.": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "counter.status_": ["open", "paused", "closed"],
    "counter.ticket_": ["called", "serving"],
    "phone.state_": ["waiting", "called", "serving", "done", "no_show", "cancelled"],
    "lang.": ["vi", "en"],
    "kiosk.qr_warning_": ["loopback", "listens_locally"],
    "counter.transfer_warning_": ["closed", "paused"],
    "phone.waiting_for_counter_": ["closed", "paused"],
    "monitor.kind_": ["rating_panel", "printer", "led_display", "display", "kiosk"],
    "monitor.problem_": ["agent_offline", "disconnected", "never_connected", "printer_paper_out", "printer_offline"],
    "report.period.": ["day", "week", "month", "quarter", "year", "custom"],
    "report.group.": ["field", "counter", "officer", "priority", "hour", "site", "agency"],
    "people.role_": ["officer", "admin", "leader"],
    "audit.action.": ["officer.create", "officer.update", "officer.disable", "officer.enable",
                      "officer.password_reset", "officer.password_change", "config.import", "hours.update",
                      *(f"{kind}.{what}" for kind in ("kiosk", "display", "agent")
                        for what in ("create", "update", "revoke", "enable", "token_rotate")),
                      "counter.create", "counter.update", "counter.delete",
                      "field.create", "field.update", "field.delete", "device.create", "device.update",
                      "device.delete", "site.create", "site.update", "site.remove",
                      "priority.create", "priority.update", "priority.delete",
                      "procedure.create", "procedure.update", "procedure.delete", "ratings.update", "remote.update",
                      "appointments.update",
                      "webhook.create", "webhook.update", "webhook.delete",
                      *(f"province_user.{what}" for what in ("create", "update", "disable", "enable", "password_reset",
                                                             "password_change"))],
    "hours.": ["extra", "working_days"],
    "devices.kind_": ["kiosk", "display", "agent"],
    "counters.policy_": ["oldest", "in_order"],
    "fields.kind_": ["service", "pickup", "bulk"],
    "province.role_": ["leader", "province_admin"],
    "devices.layout_": ["standard", "calls", "counters"],
    "devices.voice_": ["clips", "browser", "off"],
    "ratings.category_": ["very_satisfied", "satisfied", "dissatisfied"],
    "webhooks.event_": ["ticket", "rating", "counter", "appointment"],
    "webhooks.type_": [t.replace(".", "_") for t in (
        "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished", "ticket.no_show",
        "ticket.restored", "ticket.transferred", "ticket.returned", "ticket.cancelled", "ticket.expired",
        "ticket.dossier_attached", "ticket.checked_in", "ticket.moved_on", "ticket.visit_extended",
        "rating.recorded", "rating.repeat_ignored", "rating.unattributed", "counter.opened", "counter.paused",
        "counter.closed", "counter.pause_pending", "counter.pause_cancelled", "ticket.queued",
        "appointment.booked", "appointment.cancelled", "appointment.checked_in")],
    "booking.status_": ["booked", "checked_in", "late", "cancelled", "missed"],
    "book.late_": ["walk_in", "refuse"],
    "report.appointment_": ["booked", "kept", "late", "missed", "cancelled", "upcoming", "no_show_rate"],
    "webhooks.status_": ["delivered", "retrying", "failed"],
    "webhooks.state_": ["on", "disabled"],
    "error.": [],  # every code the API returns: see test_the_error_codes_the_api_returns_have_words_for_people
}


def screen_files():
    for pattern in ("*/templates/**/*.html", "*/static/*.js"):
        yield from (p for p in ROOT.glob(pattern) if ".venv" not in p.parts and "test-artifacts" not in p.parts)
    yield from (ROOT / "server" / "static" / "js").glob("*.js")


def without_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"{#.*?#}", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)


def test_both_languages_have_the_same_keys_and_placeholders():
    vi = json.loads((CATALOGUES / "vi.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOGUES / "en.json").read_text(encoding="utf-8"))
    assert set(vi) == set(en)
    for key in vi:
        assert set(re.findall(r"{(\w+)}", vi[key])) == set(re.findall(r"{(\w+)}", en[key])), key
        assert vi[key].strip() and en[key].strip(), key


def test_every_key_the_screens_use_exists():
    vi = json.loads((CATALOGUES / "vi.json").read_text(encoding="utf-8"))
    used = set()
    for path in screen_files():
        text = without_comments(path.read_text(encoding="utf-8"))
        used |= set(re.findall(r"""_\(\s*['"]([\w.]+)['"]""", text))
        used |= set(re.findall(r"""data-i18n(?:-placeholder)?=["']([\w.]+)["']""", text))
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
    assert {k for k in used if k.endswith((".", "_"))} <= set(DYNAMIC)  # built keys are all known
    used = {k for k in used if not k.endswith((".", "_"))}
    for prefix, values in DYNAMIC.items():
        used |= {prefix + v for v in values}
    missing = sorted(k for k in used if k not in vi)
    assert not missing, missing
    assert len(used) > 120  # the scan really read the screens


def test_no_vietnamese_text_outside_the_catalogues():
    offenders = []
    for path in screen_files():
        for number, line in enumerate(without_comments(path.read_text(encoding="utf-8")).splitlines(), 1):
            if VIETNAMESE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, offenders


def test_the_error_codes_the_api_returns_have_words_for_people():
    from server.errors import SCRIPT_ERRORS

    vi = json.loads((CATALOGUES / "vi.json").read_text(encoding="utf-8"))
    api_codes = set(SCRIPT_ERRORS) - {"corrupt_queue", "unknown_step", "unknown_action"}
    api_codes |= {"outside_opening_hours", "bad_credentials", "not_your_counter", "bad_pin", "pin_locked",
                  "login_locked", "busy",
                  "field_not_at_kiosk", "unknown_priority", "unknown_site", "csrf", "store_unavailable",
                  # the leader's report form shows these
                  "bad_period", "bad_date", "bad_group", "period_needs_dates", "period_reversed", "period_too_long"}
    assert sorted(c for c in api_codes if f"error.{c}" not in vi) == []


def test_each_words_key_is_written_once():
    """A key written twice in a catalogue keeps only its last words, silently: two refusals that
    shared a code showed an officer blocked at a counter the words for removing a counter."""
    def pairs(found):
        keys = [k for k, _ in found]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        assert not twice, f"written twice: {twice}"
        return dict(found)

    for name in ("vi.json", "en.json"):
        json.loads((CATALOGUES / name).read_text(encoding="utf-8"), object_pairs_hook=pairs)
