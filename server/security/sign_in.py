"""Signing in on a hostile network: guesses are slowed per client, and hashing stays off the
event loop.

Two defences, both about an anonymous client on the hall's LAN:

- ``SignInGuard`` counts each try *before* its password is checked, in one Lua step
  (``sign_in_guard.lua``), per (name, client address) and per address. After a few free
  tries that client waits, longer after each further try. Nobody else waits: an attacker's
  failures never lock an officer out of their own name from their own desk.
- ``PasswordChecker`` runs scrypt in a small pool of OS threads (eventlet's tpool under
  eventlet), a few at a time, so that a login flood does not stall every display and
  counter on the same process; past a queue limit it answers "busy" at once.
"""
from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable

from werkzeug.security import check_password_hash, generate_password_hash

from ..config.password_policy import HASH_METHOD
from ..engine.keys import ScopeKeys
from ..engine.scripts import Scripts
from ..errors import QmsError, TooManyRequests

logger = logging.getLogger(__name__)

FREE_TRIES_PER_NAME = 5          # from one address, before it has to wait
FREE_TRIES_PER_ADDRESS = 30      # over all names from one address (a guessing script)
LONGEST_WAIT_SECONDS = 900
MEMORY_SECONDS = 3600            # tries are forgotten an hour after the last one


class Busy(QmsError):
    status, code = 503, "busy"


class SignInGuard:
    def __init__(self, scripts: Scripts, keys: dict[str, ScopeKeys], now: Callable[[], float] = time.time,
                 *, free_per_name: int = FREE_TRIES_PER_NAME, free_per_address: int = FREE_TRIES_PER_ADDRESS):
        self.scripts = scripts
        self.keys = keys
        self.now = now
        self.free_per_name = free_per_name
        self.free_per_address = free_per_address

    def _keys(self, site_id: str, scope: str, name: str, address: str) -> list[str]:
        k = self.keys[site_id]
        pair = hashlib.sha256(f"{scope}\0{name}\0{address}".encode("utf-8", "replace")).hexdigest()[:32]
        addr = hashlib.sha256(f"{scope}\0{address}".encode("utf-8", "replace")).hexdigest()[:32]
        return [k.sign_in_tries(pair), k.sign_in_tries(addr)]

    def _run(self, mode: str, site_id: str, scope: str, name: str, address: str) -> dict:
        client, every_name = self._keys(site_id, scope, name, address)
        return self.scripts.run("sign_in_guard", {"client": client, "address": every_name},
                                {"step": mode, "now": int(self.now() * 1000), "free_client": self.free_per_name,
                                 "free_address": self.free_per_address, "longest_wait": LONGEST_WAIT_SECONDS * 1000,
                                 "memory": MEMORY_SECONDS * 1000})

    def attempt(self, site_id: str, name: str, address: str, *, scope: str = "login") -> None:
        """Count one try of ``name`` from ``address``; TooManyRequests if that client must wait."""
        reply = self._run("try", site_id, scope, name, address)
        if "error" in reply:
            wait = max(1, -(-int(reply["retry_after_ms"]) // 1000))
            logger.warning("sign-in-delayed site=%s scope=%s address=%s wait=%ss", site_id, scope, address, wait)
            code = "pin_locked" if scope == "pin" else "login_locked"
            raise TooManyRequests(f"Too many failed tries from this device: wait {wait} s.", code=code,
                                  details={"retry_after": wait})

    def passed(self, site_id: str, name: str, address: str, *, scope: str = "login") -> None:
        """The right password: that client's tries are forgotten."""
        self._run("passed", site_id, scope, name, address)


class PasswordChecker:
    """Password hashes checked in OS threads, at most ``workers`` at once, ``queue_limit``
    waiting; scrypt (hashlib) releases the GIL, so other requests go on meanwhile."""

    def __init__(self, workers: int = 2, queue_limit: int = 64):
        self.workers = workers
        self.queue_limit = queue_limit
        self._slots = threading.BoundedSemaphore(workers)  # green under eventlet's monkey-patching
        self._lock = threading.Lock()
        self._waiting = 0  # this process's own requests in line (not queue state)

    def check(self, password_hash: str, password: str) -> bool:
        with self._lock:
            if self._waiting >= self.queue_limit:
                raise Busy("Too many sign-ins at once: try again in a moment.", details={"retry_after": 2})
            self._waiting += 1
        try:
            with self._slots:
                return _off_the_loop(check_password_hash, password_hash, password)
        finally:
            with self._lock:
                self._waiting -= 1


def hash_password(password: str) -> str:
    """A new password's hash at the policy's cost (what `qms hash-password` writes), made in an
    OS thread: scrypt takes a fraction of a second of CPU."""
    return _off_the_loop(generate_password_hash, password, HASH_METHOD)


def _off_the_loop(fn, *args):
    """Run ``fn`` in a real OS thread when the process is eventlet's or gevent's (their threads are green)."""
    if "gevent" in sys.modules:
        from gevent import get_hub, monkey

        if monkey.is_module_patched("threading"):
            return get_hub().threadpool.apply(fn, args)
    eventlet = sys.modules.get("eventlet")  # never imported here: it warns on import
    if eventlet is not None:
        from eventlet import patcher, tpool

        if patcher.is_monkey_patched("thread"):
            return tpool.execute(fn, *args)
    return fn(*args)
