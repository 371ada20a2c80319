"""config.yaml: the demo hall loads; every mistake is named with its path; nothing starts half-configured."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from server.cli import main as qms
from server.config import ConfigError, load_config, parse_config

from ..hall import hall_document

ROOT = Path(__file__).resolve().parents[2]


def test_demo_hall_is_a_realistic_centre():
    config = load_config(ROOT / "config.yaml")
    hall = config.sites["hcc"]
    assert len(hall.fields) == 10 and len(hall.counters) == 13
    # Land and construction results are returned at a counter of their own (trả kết quả).
    assert hall.fields["TKQ"].kind == "pickup" and hall.fields["DD"].pickup_lane() == "TKQ"
    # Agents with many business-registration dossiers have their own lane at counter 7.
    assert hall.fields["KD"].bulk == "KDN" and hall.fields["KDN"].dossiers_per_ticket == 30
    assert len(hall.kiosks) == 2 and len(hall.displays) == 2
    names = {f.name for f in hall.fields.values()}
    assert {"Tư pháp – Hộ tịch", "Đất đai", "Xây dựng", "Đăng ký kinh doanh"} <= names
    assert all(o.password_hash.startswith("scrypt:") for o in hall.officers.values())
    assert str(hall.timezone) == "Asia/Ho_Chi_Minh"
    assert hall.priority_ratio == (2, 1)
    # Every counter serves something, and every field has a counter.
    assert all(c.fields for c in hall.counters.values())
    assert all(hall.counters_serving(code) for code in hall.fields)


def errors_of(document) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return caught.value.errors


def test_unknown_field_in_a_counter_names_the_path(prefix):
    doc = hall_document(prefix)
    doc["sites"][0]["counters"][3]["fields"] = ["TP", "ZZ"]
    assert errors_of(doc) == ["sites[0].counters[3].fields[1]: unknown field 'ZZ'"]


MISTAKES = [
    (lambda s: s["counters"].append({"number": 1, "fields": ["TP"]}), "sites[0].counters[5]: duplicate counter number 1"),
    (lambda s: s.update(timezone="Asia/Saigon_X"), "sites[0].timezone: unknown time zone 'Asia/Saigon_X'"),
    (lambda s: s.update(opening_hours={"mon-fri": ["07:30-11:30", "11:00-12:00"]}), "sites[0].opening_hours.mon-fri: sessions overlap"),
    (lambda s: s.update(opening_hours={"monday": ["07:30-11:30"]}), "sites[0].opening_hours.monday: unknown day"),
    (lambda s: s.update(opening_hours={"mon": ["7h30-11h"]}), "sites[0].opening_hours.mon[0]: '7h30-11h' is not a session"),
    (lambda s: s["fields"][2].update(numbers="1500-1600"), "sites[0].fields[2]: numbers 1500-1600 overlap field 'TP'"),
    (lambda s: s["fields"][1].update(daily_cap=5000), "sites[0].fields[1].daily_cap: 5000 is more than the 999 numbers"),
    (lambda s: s["fields"][0].update(numbers="1999-1001"), "sites[0].fields[0].numbers: '1999-1001' is not a range"),
    (lambda s: s["officers"][0].update(password="secret"), "sites[0].officers[0].password: plain passwords are not accepted"),
    (lambda s: s["officers"][0].update(counters=[42]), "sites[0].officers[0].counters[0]: unknown counter 42"),
    (lambda s: s.update(feilds=[]), "sites[0].feilds: unknown key (did you mean 'fields'?)"),
    (lambda s: s["priority"].update(ratio="0:1"), "sites[0].priority.ratio: '0:1' is not a ratio"),
    (lambda s: s["priority"]["categories"][0].update(weight=500), "sites[0].priority.categories[0].weight: 500 is above the maximum 99"),
    (lambda s: s["kiosks"][1].update(token="test-kiosk-token-0001"), "token is already used by sites[0].kiosks[kiosk-1]"),
    (lambda s: s["kiosks"][0].update(token="short"), "sites[0].kiosks[0].token: 'short' is not valid"),
    (lambda s: s["counters"][0].update(policy="random"), "sites[0].counters[0].policy: 'random' is not one of in_order, oldest"),
    (lambda s: s["counters"][0].update(fields=["TP", "TP"]), "sites[0].counters[0].fields[1]: duplicate field 'TP'"),
    (lambda s: s.update(id="Trung Tâm"), "sites[0].id: 'Trung Tâm' is not valid"),
    (lambda s: s["fields"][0].update(target_wait_minutes="mười lăm"), "sites[0].fields[0].target_wait_minutes: expected a number"),
    (lambda s: s.update(devices=[{"id": "p1", "kind": "rating_panel", "url": "loop://"}]), "sites[0].devices[0].counter: a rating_panel needs the counter"),
]


@pytest.mark.parametrize("mutate,expected", MISTAKES, ids=[m[1][:60] for m in MISTAKES])
def test_each_mistake_is_named(prefix, mutate, expected):
    doc = hall_document(prefix)
    mutate(doc["sites"][0])
    errors = errors_of(doc)
    assert any(expected in e for e in errors), errors


def test_all_mistakes_are_reported_at_once(prefix):
    doc = hall_document(prefix)
    doc["server"]["port"] = 70000
    doc["redis"]["url"] = "http://localhost:6379"
    doc["sites"][0]["fields"][0]["name"] = None
    errors = errors_of(doc)
    assert "server.port: 70000 is above the maximum 65535" in errors
    assert "redis.url: 'http://localhost:6379' is not a redis://, rediss:// or unix:// URL" in errors
    assert "sites[0].fields[0].name: is required" in errors


def write(tmp_path, document) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_yaml_mistakes_name_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  port: 8080\n  port: 8081\nsites: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "key 'port' is given twice" in caught.value.errors[0] and "line 3" in caught.value.errors[0]
    path.write_text("sites:\n  - id: hcc\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.errors[0].startswith("line ")


def test_check_config_command(tmp_path, prefix, capsys):
    assert qms(["check-config", str(ROOT / "config.yaml")]) == 0
    assert "hcc: 10 fields, 13 counters" in capsys.readouterr().out
    doc = copy.deepcopy(hall_document(prefix))
    doc["sites"][0]["counters"][3]["fields"][1] = "XDD"
    assert qms(["check-config", str(write(tmp_path, doc))]) == 2
    assert "sites[0].counters[3].fields[1]: unknown field 'XDD'" in capsys.readouterr().err


def test_server_refuses_to_start_on_an_invalid_file(tmp_path, prefix):
    doc = hall_document(prefix)
    doc["sites"][0]["opening_hours"] = {"mon": ["25:00-26:00"]}
    doc["server"]["data_dir"] = str(tmp_path / "data")
    path = write(tmp_path, doc)
    proc = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--config", str(path), "--port", "1"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert "refusing to start" in proc.stderr and "sites[0].opening_hours.mon[0]" in proc.stderr
    assert not (tmp_path / "data").exists()  # no embedded Redis was started


def test_hash_password_makes_a_hash_the_config_accepts(monkeypatch, capsys, prefix):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Mật-khẩu-mới-2026\n"))
    assert qms(["hash-password", "--stdin"]) == 0
    hashed = capsys.readouterr().out.strip()
    doc = hall_document(prefix)
    doc["sites"][0]["officers"][0]["password_hash"] = hashed
    site = parse_config(doc).sites["hcc"]
    from werkzeug.security import check_password_hash

    assert check_password_hash(site.officers["cb1"].password_hash, "Mật-khẩu-mới-2026")


WEAK = [("scrypt:32768:8:1", "N=32768"), ("pbkdf2:sha256:1000", "1000 iterations"),
        ("pbkdf2:sha1:1000000", "sha1"), ("scrypt", "N=32768")]


@pytest.mark.parametrize("method, why", WEAK)
def test_a_weak_password_hash_is_refused_with_its_path(prefix, method, why):
    from werkzeug.security import generate_password_hash

    doc = hall_document(prefix)
    del doc["server"]["accept_weak_hashes"]
    for site in doc["sites"]:
        for officer in site["officers"]:
            officer["password_hash"] = generate_password_hash("x", method="pbkdf2:sha256:600000")
    doc["sites"][0]["officers"][2]["password_hash"] = generate_password_hash("x", method=method)
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert str(err.value).count("password_hash") == 1
    assert "sites[0].officers[2].password_hash" in str(err.value) and why in str(err.value)
    assert "qms hash-password" in str(err.value)


def test_the_shipped_config_and_new_hashes_meet_the_policy(monkeypatch, capsys):
    import io

    from server.config.password_policy import weakness

    config = load_config(ROOT / "config.yaml")
    assert not config.server.accept_weak_hashes
    hashes = [o.password_hash for s in config.sites.values() for o in s.officers.values()]
    assert hashes and all(weakness(h) is None for h in hashes)
    monkeypatch.setattr("sys.stdin", io.StringIO("Mật-khẩu-mới-2026\n"))
    assert qms(["hash-password", "--stdin"]) == 0
    made = capsys.readouterr().out.strip()
    assert made.startswith("scrypt:131072:8:1$") and weakness(made) is None
