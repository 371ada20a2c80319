"""A small reader that walks parsed YAML and collects every error with its path.

Errors read like ``sites[0].counters[3].fields[1]: unknown field 'XD'`` so an
administrator can find the line without reading code.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any, overload

import yaml


class ConfigError(Exception):
    """config.yaml is invalid; ``errors`` lists every problem found, each with its path."""

    def __init__(self, errors: list[str], source: str = "config"):
        self.errors = list(errors)
        self.source = source
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{source}: {len(self.errors)} error(s)\n{lines}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"key {key!r} is given twice", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes a ConfigError naming the line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError([f"{where}{problem}"], source) from err


SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Node:
    """A value in the document with its path; reading a bad value records an error.

    With a ``schema`` (a dict), reading also writes down what was asked of the value there, as
    JSON Schema: the reader is then its own schema (see server/config/schema.py)."""

    def __init__(self, value: Any, path: str, errors: list[str], schema: dict | None = None):
        self.value = value
        self.path = path
        self.errors = errors
        self.schema = schema

    def expect(self, schema: dict) -> None:
        """What a value read by hand here must look like (for the JSON Schema only)."""
        if self.schema is not None:
            self.schema.update(schema)

    def error(self, message: str) -> None:
        self.errors.append(f"{self.path}: {message}" if self.path else message)

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    # -- containers ---------------------------------------------------------
    def mapping(self, allowed: Iterable[str]) -> Mapping | None:
        if self.value is None:
            self.value = {}
        if not isinstance(self.value, dict):
            self.error(f"expected a mapping, got {_kind(self.value)}")
            return None
        allowed = list(allowed)
        if self.schema is not None:
            self.schema.setdefault("type", ["object", "null"])
            self.schema["additionalProperties"] = False
            properties = self.schema.setdefault("properties", {})
            for key in allowed:
                properties.setdefault(key, {})
        for key in self.value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
                Node(None, self.child_path(str(key)), self.errors).error(f"unknown key{suffix}")
        return Mapping(self.value, self.path, self.errors, self.schema)

    def items(self, required: bool = False) -> list[Node]:
        item_schema = None
        if self.schema is not None:
            self.schema.setdefault("type", ["array", "null"] if not required else "array")
            if required:
                self.schema["minItems"] = 1
            item_schema = self.schema.setdefault("items", {})
        if self.value is None:
            if required:
                self.error("must not be empty")
            return []
        if not isinstance(self.value, list):
            self.error(f"expected a list, got {_kind(self.value)}")
            return []
        if required and not self.value:
            self.error("must not be empty")
        return [Node(v, self.child_path(i), self.errors, item_schema) for i, v in enumerate(self.value)]


class Mapping:
    """Typed access to the keys of one YAML mapping."""

    _MISSING = object()

    def __init__(self, data: dict, path: str, errors: list[str], schema: dict | None = None):
        self.data = data
        self.path = path
        self.errors = errors
        self.schema = schema

    def node(self, key: str) -> Node:
        path = f"{self.path}.{key}" if self.path else key
        # Only the keys this mapping allows are written down (a read of another is not a promise).
        allowed = self.schema.get("properties", {}) if self.schema is not None else {}
        return Node(self.data.get(key), path, self.errors, allowed.get(key))

    def _get(self, key: str, default: Any, required: bool, schema: dict | None = None) -> tuple[Node, Any]:
        node = self.node(key)
        if schema is not None:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not required:  # an empty value is read as a missing one
                schema = {**schema, "type": [*types, "null"]}
                if "enum" in schema:
                    schema["enum"] = [*schema["enum"], None]
            node.expect(schema)
        if required and self.schema is not None and key in self.schema.get("properties", {}):
            needed = self.schema.setdefault("required", [])
            if key not in needed:
                needed.append(key)
        if key not in self.data or self.data[key] is None:
            if required:
                node.error("is required")
            return node, self._MISSING
        return node, node.value

    @overload
    def text(self, key: str, default: str, *, required: bool = False, pattern: re.Pattern | None = None,
             choices: Iterable[str] | None = None, hint: str = "") -> str: ...

    @overload
    def text(self, key: str, default: None = None, *, required: bool = False, pattern: re.Pattern | None = None,
             choices: Iterable[str] | None = None, hint: str = "") -> str | None: ...

    def text(self, key: str, default: str | None = None, *, required: bool = False,
             pattern: re.Pattern | None = None, choices: Iterable[str] | None = None,
             hint: str = "") -> str | None:
        """The text at ``key``; ``default`` when it is missing or bad (a bad value is an error)."""
        # Without a pattern or choices a number is read as its text (a version, a room "101").
        schema: dict[str, Any] = {"type": "string" if pattern is not None or choices else ["string", "number"]}
        if choices is not None:
            schema["enum"] = sorted(choices)
        elif pattern is not None:
            schema["pattern"] = pattern.pattern
        node, value = self._get(key, default, required, schema)
        if value is self._MISSING:
            return default
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and pattern is None and not choices:
                value = str(value)
            else:
                node.error(f"expected text, got {_kind(value)} {value!r}")
                return default
        if choices is not None and value not in choices:
            node.error(f"{value!r} is not one of {', '.join(sorted(choices))}")
            return default
        if pattern is not None and not pattern.match(value):
            node.error(f"{value!r} is not valid{': ' + hint if hint else ''}")
            return default
        return value

    @overload
    def whole(self, key: str, default: int, *, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int: ...

    @overload
    def whole(self, key: str, default: None = None, *, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int | None: ...

    def whole(self, key: str, default: int | None = None, *, required: bool = False,
              minimum: int | None = None, maximum: int | None = None) -> int | None:
        """The whole number at ``key``; ``default`` when it is missing or bad (a bad value is an error)."""
        node, value = self._get(key, default, required, _ranged("integer", minimum, maximum))
        if value is self._MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            node.error(f"expected a whole number, got {_kind(value)} {value!r}")
            return default
        return _bounded(node, value, minimum, maximum, default)

    @overload
    def number(self, key: str, default: float, *, minimum: float | None = None,
               maximum: float | None = None) -> float: ...

    @overload
    def number(self, key: str, default: None = None, *, minimum: float | None = None,
               maximum: float | None = None) -> float | None: ...

    def number(self, key: str, default: float | None = None, *, minimum: float | None = None,
               maximum: float | None = None) -> float | None:
        node, value = self._get(key, default, False, _ranged("number", minimum, maximum))
        if value is self._MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            node.error(f"expected a number, got {_kind(value)} {value!r}")
            return default
        return _bounded(node, float(value), minimum, maximum, default)

    def list_of(self, key: str, convert: Callable[[Node], Any], *, required: bool = False) -> list:
        out = []
        for item in self.node(key).items(required=required):
            converted = convert(item)
            if converted is not None:
                out.append(converted)
        return out


def flag(m: Mapping, key: str) -> bool:
    m.node(key).expect({"type": ["boolean", "null"]})
    value = m.data.get(key, False)
    if not isinstance(value, bool):
        m.node(key).error("expected true or false")
        return False
    return value


def _ranged(kind: str, minimum, maximum) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _bounded(node: Node, value, minimum, maximum, default):
    if minimum is not None and value < minimum:
        node.error(f"{value!r} is below the minimum {minimum}")
        return default
    if maximum is not None and value > maximum:
        node.error(f"{value!r} is above the maximum {maximum}")
        return default
    return value


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def check_unique(nodes_and_keys: list[tuple[Node, Any]], what: str) -> None:
    """Record an error on every item whose key repeats an earlier one."""
    first: dict[Any, str] = {}
    for node, key in nodes_and_keys:
        if key is None:
            continue
        if key in first:
            node.error(f"duplicate {what} {key!r} (first at {first[key]})")
        else:
            first[key] = node.path
