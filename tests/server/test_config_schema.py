"""config.yaml's JSON Schema (docs/config.schema.json) is made by the reader's own checks, so
an editor flags as it is typed what `qms check-config` would refuse, and the two never drift."""
from __future__ import annotations

import copy
import json

import jsonschema_rs
import pytest
import yaml

from server.config import ConfigError, parse_config
from server.config.schema import build_schema

from ..hall import hall_document
from ..servers import ROOT

SCHEMA_FILE = ROOT / "docs" / "config.schema.json"


def plain(document) -> dict:
    """The document as an editor sees it: JSON types (dates as text)."""
    return json.loads(json.dumps(document, default=str))


def schema_errors(document) -> list[str]:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    return [".".join(str(p) for p in e.instance_path) for e in validator.iter_errors(plain(document))]


def test_the_published_schema_is_the_one_the_reader_makes():
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == json.loads(json.dumps(build_schema())), \
        "the reader changed: python -m server.config.schema > docs/config.schema.json"


def test_the_shipped_config_and_the_test_halls_pass_the_schema():
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    assert schema_errors(shipped) == []
    assert schema_errors(hall_document("schema")) == []
    assert (ROOT / "config.yaml").read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=docs/config.schema.json")


def _site(doc):
    return doc["sites"][0]


MISTAKES = [
    # (what a person typed, where the schema flags it)
    ("a misspelt key", lambda d: _site(d).update(opening_hour=_site(d)["opening_hours"]), "sites.0"),
    ("an async mode that does not exist", lambda d: d.setdefault("server", {}).update(async_mode="uwsgi"),
     "server.async_mode"),
    ("a port out of range", lambda d: d.setdefault("server", {}).update(port=70000), "server.port"),
    ("a field code with a space", lambda d: _site(d)["fields"][0].update(code="T P"), "sites.0.fields.0.code"),
    ("a session written the French way", lambda d: _site(d).update(opening_hours={"mon-fri": ["7h30-11h"]}),
     "sites.0.opening_hours"),
    ("a plain password", lambda d: _site(d)["officers"][0].update(password="secret"), "sites.0.officers.0.password"),
    ("an RS-485 address beyond the bus", lambda d: _site(d).update(devices=[
        {"id": "p1", "kind": "rating_panel", "url": "/dev/ttyS0", "counter": 1, "agent": "agent-1",
         "options": {"model": "rs485", "address": 300}}]), "sites.0.devices.0.options.address"),
    ("paper of 57 mm", lambda d: _site(d).update(devices=[
        {"id": "pr", "kind": "printer", "url": "tcp://10.0.0.5:9100", "agent": "agent-1",
         "options": {"kiosk": "kiosk-1", "paper": 57}}]), "sites.0.devices.0.options.paper"),
]


@pytest.mark.parametrize("what, mistake, where", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_flagged_by_the_schema_where_check_config_refuses_it(what, mistake, where):
    doc = copy.deepcopy(hall_document("schema"))
    mistake(doc)
    with pytest.raises(ConfigError):
        parse_config(doc)
    assert any(e == where or e.startswith(where + ".") for e in schema_errors(doc)), (what, schema_errors(doc))


def test_a_panel_without_a_kiosk_key_is_not_held_to_a_printers_options():
    """Options depend on the device's kind: a rating panel's are not a printer's."""
    doc = copy.deepcopy(hall_document("schema"))
    _site(doc)["devices"][0]["options"] = {"model": "rs485", "address": 200}
    parse_config(doc)
    assert schema_errors(doc) == []
