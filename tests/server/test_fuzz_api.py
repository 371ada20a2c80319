"""The REST API fuzzed from its own OpenAPI file (schemathesis, valid and invalid requests):
no 5xx, whatever arrives, and a rejected request changes nothing."""
from __future__ import annotations

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


def test_no_server_error_and_refusals_change_nothing(app, admin_headers, redis_client, prefix):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    seen = {"calls": 0, "refused": 0}

    for operation, mode in [(op, mode) for op in operations
                            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]:
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def attempt(case):
            if case.path_parameters and "site_id" in case.path_parameters:
                case.path_parameters["site_id"] = "hcc"  # reach the operations, not only "unknown site"
            before = store_fingerprint(redis_client, prefix)
            response = case.call(headers=admin_headers)
            seen["calls"] += 1
            assert response.status_code < 500, (operation.label, response.status_code, response.text[:300])
            if response.status_code >= 400:
                seen["refused"] += 1
                assert response.json()["error"]["code"]
                assert store_fingerprint(redis_client, prefix) == before, (operation.label, response.status_code)

        try:
            attempt()
        except Unsatisfiable:
            assert mode == schemathesis.GenerationMode.NEGATIVE  # nothing invalid to send (no parameters)
    logging.getLogger(__name__).info("fuzzed: %s", seen)
    assert seen["calls"] > 600 and seen["refused"] > 300
