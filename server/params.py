"""Checking the parameters of a request (HTTP body or Socket.IO message) against a schema."""
from __future__ import annotations

from typing import Any

from .errors import BadRequest

_MISSING = object()


def check_params(data: Any, schema: dict[str, type | tuple[type, ...]], required: tuple[str, ...] = ()) -> dict:
    """``data`` if it is an object whose keys are all in ``schema`` with values of the right type."""
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", code="malformed_json")
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
