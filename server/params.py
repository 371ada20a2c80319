"""Checking the parameters of a request (HTTP body or Socket.IO message) against a schema."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import BadRequest

_MISSING = object()


def check_text(value: Any, name: str = "body") -> None:
    """Refuse text that cannot be stored: a lone UTF-16 surrogate ("\\udc80" in JSON) decodes to
    a Python string that no UTF-8 encoder (Redis, SQL, logs) accepts."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(f"Parameter {name!r} is not valid Unicode text.", code="bad_text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, name)
            check_text(item, f"{name}.{key}" if isinstance(key, str) else name)
    elif isinstance(value, list):
        for item in value:
            check_text(item, name)


def check_params(data: Any, schema: Mapping[str, type | tuple[type, ...]], required: tuple[str, ...] = ()) -> dict:
    """``data`` if it is an object whose keys are all in ``schema`` with values of the right type."""
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", code="malformed_json")
    check_text(data)
    for key in data:
        if key not in schema:
            raise BadRequest(f"Unknown parameter {key!r}.", code="unknown_parameter",
                             details={"allowed": sorted(schema)})
    for key, expected in schema.items():
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if key in required:
                raise BadRequest(f"Missing parameter {key!r}.", code="missing_parameter")
            continue
        types = expected if isinstance(expected, tuple) else (expected,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise BadRequest(f"Parameter {key!r} has the wrong type.", code="bad_parameter")
    return data
