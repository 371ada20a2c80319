"""The REST API fuzzed from its own OpenAPI file (schemathesis, valid and invalid requests):
no 5xx, whatever arrives, and a rejected request changes nothing."""
from __future__ import annotations

import json
import logging

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from ..hall import ADMIN_PASSWORD
from .test_api_errors import store_fingerprint


@pytest.fixture
def admin_headers(api):
    api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    token = api.post("/login", {"username": "admin", "password": ADMIN_PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


BASE = "/api/v1"
DAYS = ("date", "from", "to")
# Deep enough for a RecursionError even under Hypothesis (which raises the recursion limit),
# small enough for the body limit.
NESTED = b'{"x": ' + b"[" * 30000 + b"]" * 30000 + b"}"


def hostile_variants(case):
    """What the generator does not make by itself, derived from each generated case: every
    string of the body with a lone surrogate, the body nested thousands deep, and days
    at the ends of the calendar (these found three ways to a 500)."""
    if isinstance(case.body, dict) and any(isinstance(v, str) for v in case.body.values()):
        body = {k: v + "\udc80" if isinstance(v, str) else v for k, v in case.body.items()}
        yield "lone surrogate", case.query, json.dumps(body).encode()  # ensure_ascii writes "\udc80"
    if case.method.upper() in ("POST", "PUT", "PATCH"):
        yield "nested JSON", case.query, NESTED
    if isinstance(case.query, dict) and any(k in DAYS for k in case.query):
        for day in ("9999-12-31", "0001-01-01"):
            yield f"day {day}", {**case.query, **{k: day for k in case.query if k in DAYS}}, None


def test_no_server_error_and_refusals_change_nothing(app, admin_headers, redis_client, prefix):
    schema = schemathesis.openapi.from_wsgi(BASE + "/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    seen = {"calls": 0, "refused": 0, "hostile": 0}
    client = app.test_client()
    now = {}  # the operation being fuzzed, for the messages of the check below

    for operation, mode in [(op, mode) for op in operations
                            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]:
        now["label"] = operation.label

        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def attempt(case):
            label = now["label"]
            if case.path_parameters and "site_id" in case.path_parameters:
                case.path_parameters["site_id"] = "hcc"  # reach the operations, not only "unknown site"
            before = store_fingerprint(redis_client, prefix)
            response = case.call(headers=admin_headers)
            seen["calls"] += 1
            assert response.status_code < 500, (label, response.status_code, response.text[:300])
            if response.status_code >= 400:
                seen["refused"] += 1
                assert response.json()["error"]["code"]
                assert store_fingerprint(redis_client, prefix) == before, (label, response.status_code)
            for name, query, raw in hostile_variants(case):
                before = store_fingerprint(redis_client, prefix)
                r = client.open(BASE + case.formatted_path, method=case.method, query_string=query, data=raw,
                                content_type="application/json" if raw is not None else None, headers=admin_headers)
                seen["hostile"] += 1
                assert r.status_code < 500, (label, name, r.status_code, r.get_data(as_text=True)[:300])
                if r.status_code >= 400:
                    assert store_fingerprint(redis_client, prefix) == before, (label, name)

        try:
            attempt()
        except Unsatisfiable:
            assert mode == schemathesis.GenerationMode.NEGATIVE  # nothing invalid to send (no parameters)
    logging.getLogger(__name__).info("fuzzed: %s", seen)
    assert seen["calls"] > 600 and seen["refused"] > 300 and seen["hostile"] > 300
