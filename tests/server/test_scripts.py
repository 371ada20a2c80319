"""The contract between the engine and its Lua scripts: KEYS and ARGV by name, checked when
the scripts are registered and at every call, so a change on one side cannot put a key in the
wrong place unnoticed."""
from __future__ import annotations

import pytest

from server.engine.scripts import ScriptContractError, Scripts, Signature

ISSUE_LIKE = """-- demo: an operation with a layout.
-- KEYS: counters tickets layout...
-- ARGV: now day layout...
local L = layout(3, 3)
redis.call('HGET', KEYS[1], ARGV[2])
redis.call('HGET', KEYS[2], ARGV[1])
"""


def test_every_shipped_script_names_its_keys_and_arguments(redis_client):
    scripts = Scripts(redis_client)
    assert len(scripts.names) >= 14
    for name in scripts.names:
        signature = scripts.signatures[name]
        assert signature.keys and signature.args, name


def test_a_header_that_names_fewer_keys_than_the_script_reads_stops_the_start():
    body = ISSUE_LIKE.replace("-- KEYS: counters tickets layout...", "-- KEYS: counters")
    with pytest.raises(ScriptContractError, match=r"reads KEYS\[2\]"):
        Signature.parse("demo", body.replace("local L = layout(3, 3)\n", ""))


def test_a_layout_that_starts_elsewhere_than_the_header_says_stops_the_start():
    with pytest.raises(ScriptContractError, match=r"layout\(4, 3\)"):
        Signature.parse("demo", ISSUE_LIKE.replace("layout(3, 3)", "layout(4, 3)"))


def test_a_script_without_named_arguments_stops_the_start():
    with pytest.raises(ScriptContractError, match="no '-- ARGV:' line"):
        Signature.parse("demo", ISSUE_LIKE.replace("-- ARGV: now day layout...\n", ""))


def test_a_call_binds_names_to_positions_with_the_rest_last():
    signature = Signature.parse("demo", ISSUE_LIKE)
    keys, args = signature.bind({"tickets": "t", "counters": "c", "layout": ["q1", "q2"]},
                                {"day": "20261203", "now": 5, "layout": ["1", "0", "TP"]})
    assert keys == ["c", "t", "q1", "q2"]
    assert args == [5, "20261203", "1", "0", "TP"]


@pytest.mark.parametrize("keys, args, message", [
    ({"counters": "c", "layout": []}, {"now": 1, "day": "d", "layout": []}, r"KEYS missing \['tickets'\]"),
    ({"counters": "c", "tickets": "t", "layout": []}, {"now": 1, "day": "d", "layout": [], "ticket": "x"},
     r"ARGV unknown \['ticket'\]"),
])
def test_a_call_with_a_name_missing_or_unknown_is_refused(keys, args, message):
    with pytest.raises(ScriptContractError, match=message):
        Signature.parse("demo", ISSUE_LIKE).bind(keys, args)


def test_a_wrong_call_reaches_no_script_and_changes_nothing(redis_client, prefix):
    scripts = Scripts(redis_client)
    before = sorted(redis_client.scan_iter(match=f"{prefix}*"))
    with pytest.raises(ScriptContractError, match="missing"):
        scripts.run("archive_lead", {"lease": f"{prefix}:{{hcc}}:archive-lease"}, {"archiver": "a"})
    with pytest.raises(ScriptContractError, match="no script 'rate'"):
        scripts.run("rate", {}, {})
    assert sorted(redis_client.scan_iter(match=f"{prefix}*")) == before
    # The same call with every name given takes the lead (2) and holds the lease.
    lease = f"{prefix}:{{hcc}}:archive-lease"
    assert scripts.run("archive_lead", {"lease": lease}, {"archiver": "a", "lease_ms": 1000})["lead"] == 2
    assert redis_client.get(lease) == b"a"
