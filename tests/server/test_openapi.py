"""The OpenAPI file describes exactly the routes the server has."""
from __future__ import annotations

import re

import yaml

from server.engine.counter_actions import ACTIONS


def test_openapi_is_served_and_matches_the_routes(app, client):
    r = client.get("/api/v1/openapi.yaml")
    assert r.status_code == 200
    spec = yaml.safe_load(r.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    assert client.get("/api/v1/openapi.json").get_json()["info"]["title"] == spec["info"]["title"]
    documented = set()
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "delete", "patch"):
                documented.add((method.upper(), "/api/v1" + path))
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if "{action}" in path:
                for action in ACTIONS:
                    served.add((method, path.replace("{action}", action)))
            else:
                served.add((method, path))
    assert documented == served


def test_error_responses_follow_the_documented_shape(client):
    r = client.get("/api/v1/sites/hcc/state")
    body = r.get_json()
    assert r.status_code == 401 and set(body) == {"error"} and {"code", "message"} <= set(body["error"])
