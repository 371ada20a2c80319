"""The Lua scripts of the queue engine, registered once and called by name.

Each file in ``server/lua`` is one atomic operation; ``_prelude.lua`` (helpers only) is put
in front of each when it is registered. redis-py's Script sends EVALSHA and reloads the
script by itself after NOSCRIPT (a restarted or failed-over Redis).

Each script's header names its KEYS and ARGV in order, the contract its callers keep:

    -- KEYS: counters tickets events evseq layout...
    -- ARGV: now day counter actor layout...

A name ending in ``...`` takes the rest (a list). Callers pass keys and arguments by name;
a name missing or unknown is a ScriptContractError, never a key in the wrong place. At
registration each header is checked against its script: every KEYS[n] and ARGV[n] it reads
must be named, and its ``layout(k, a)`` must start where the header's ``layout...`` does.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis

logger = logging.getLogger(__name__)

PRELUDE = "_prelude.lua"
READS_ONLY = "-- reads only"
_NAMES = re.compile(r"^-- (KEYS|ARGV):(.*)$", re.M)
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.\.\.)?$")


class ScriptContractError(Exception):
    """A script's header and its body, or a call and the header, do not agree."""


@dataclass(frozen=True)
class Signature:
    """The named KEYS and ARGV of one script; a last name ending in '...' takes the rest."""

    script: str
    keys: tuple[str, ...]
    args: tuple[str, ...]

    @classmethod
    def parse(cls, script: str, text: str) -> Signature:
        header = text.split("\nlocal", 1)[0]
        found = {kind: names.split() for kind, names in _NAMES.findall(header)}
        for kind in ("KEYS", "ARGV"):
            if kind not in found:
                raise ScriptContractError(f"{script}.lua: its header has no '-- {kind}:' line naming them")
            names = found[kind]
            for i, name in enumerate(names):
                if not _NAME.match(name) or (name.endswith("...") and i != len(names) - 1):
                    raise ScriptContractError(f"{script}.lua: {kind} name {name!r} (lower-case words; "
                                              "only the last may end in '...')")
            if len(set(names)) != len(names):
                raise ScriptContractError(f"{script}.lua: a {kind} name is given twice: {names}")
        signature = cls(script, tuple(found["KEYS"]), tuple(found["ARGV"]))
        signature._check_body(text)
        return signature

    def _fixed(self, names: tuple[str, ...]) -> int:
        return len(names) - 1 if names and names[-1].endswith("...") else len(names)

    def _check_body(self, text: str) -> None:
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        for kind, names in (("KEYS", self.keys), ("ARGV", self.args)):
            used = [int(n) for n in re.findall(rf"\b{kind}\[(\d+)\]", body)]
            if used and max(used) > self._fixed(names):
                raise ScriptContractError(f"{self.script}.lua reads {kind}[{max(used)}] but its header names "
                                          f"{self._fixed(names)} before the rest: {' '.join(names)}")
        for kstart, astart in re.findall(r"\blayout\((\d+),\s*(\d+)\)", body):
            expected = (self._fixed(self.keys) + 1, self._fixed(self.args) + 1)
            if (int(kstart), int(astart)) != expected or not (self.keys[-1:] and self.keys[-1].endswith("...")):
                raise ScriptContractError(f"{self.script}.lua: layout({kstart}, {astart}) but its header puts the "
                                          f"rest at KEYS[{expected[0]}], ARGV[{expected[1]}]")

    def bind(self, keys: Mapping[str, Any], args: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
        """The positional KEYS and ARGV for a call by name."""
        return self._bind("KEYS", self.keys, keys), self._bind("ARGV", self.args, args)

    def _bind(self, kind: str, names: tuple[str, ...], given: Mapping[str, Any]) -> list:
        plain, expected = _plain(names)
        if given.keys() != expected:
            missing, unknown = [n for n in plain if n not in given], [n for n in given if n not in plain]
            raise ScriptContractError(f"{self.script}: {kind} " + "; ".join(
                part for part in (f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else "")
                if part) + f" (the script names: {' '.join(names)})")
        if names and names[-1].endswith("..."):
            return [*(given[n] for n in plain[:-1]), *given[plain[-1]]]
        return [given[n] for n in plain]


@functools.cache
def _plain(names: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The names without the rest's '...', in order and as a set (asked on every call: kept)."""
    plain = tuple(n[:-3] if n.endswith("...") else n for n in names)
    return plain, frozenset(plain)


class Scripts:
    """All queue scripts, bound to one Redis client."""

    def __init__(self, client: redis.Redis):
        self.client = client
        # Told each time Redis ran a script (wrote=False for one that only reads): the store is up.
        self.on_success = lambda wrote: None
        folder = resources.files("server") / "lua"
        prelude = (folder / PRELUDE).read_text(encoding="utf-8")
        self._scripts = {}
        self.signatures: dict[str, Signature] = {}
        self.read_only: set[str] = set()  # scripts whose header says "-- reads only"
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".lua") and entry.name != PRELUDE:
                name, text = entry.name[:-4], entry.read_text(encoding="utf-8")
                self.signatures[name] = Signature.parse(name, text)
                self._scripts[name] = client.register_script(prelude + "\n" + text)
                if READS_ONLY in text.split("\nlocal", 1)[0]:
                    self.read_only.add(name)
        logger.debug("registered %d Lua scripts", len(self._scripts))

    @property
    def names(self) -> list[str]:
        return sorted(self._scripts)

    def run(self, name: str, keys: Mapping[str, str | Sequence[str]], args: Mapping[str, Any]) -> dict:
        """Run one script with its KEYS and ARGV by name; its JSON answer is returned as a dict
        (errors are in ``error``)."""
        if name not in self._scripts:
            raise ScriptContractError(f"no script {name!r} (there are: {', '.join(self.names)})")
        positional_keys, positional_args = self.signatures[name].bind(keys, args)
        raw = self._scripts[name](keys=positional_keys, args=[_arg(a) for a in positional_args])
        self.on_success(name not in self.read_only)
        return json.loads(raw)


def _arg(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return str(value)
