"""Which password hashes config.yaml accepts, and how new ones are made.

OWASP's password storage advice (2023): scrypt with N=2^17, r=8, p=1, or PBKDF2-HMAC-SHA256
with 600,000 iterations (SHA-512: 210,000). A hash weaker than that is refused by the config
reader with its path, unless ``server.accept_weak_hashes`` is set (test suites, where each
sign-in would otherwise cost 0.4 s of CPU); then it is logged as a warning at start-up.
"""
from __future__ import annotations

HASH_METHOD = "scrypt:131072:8:1"   # what `qms hash-password` writes: 128 MiB, ~0.4 s per check
SCRYPT_MIN_N = 2 ** 17
PBKDF2_MIN_ITERATIONS = {"sha256": 600_000, "sha512": 210_000}
WERKZEUG_DEFAULTS = {"scrypt": "scrypt:32768:8:1", "pbkdf2": "pbkdf2:sha256:1000000"}


def weakness(password_hash: str) -> str | None:
    """Why this hash is weaker than the policy, or None when it is strong enough."""
    method = password_hash.split("$", 1)[0]
    method = WERKZEUG_DEFAULTS.get(method, method)
    kind, *params = method.split(":")
    try:
        if kind == "scrypt":
            n = int(params[0])
            if n < SCRYPT_MIN_N:
                return f"scrypt with N={n} is too cheap to guess against (at least N={SCRYPT_MIN_N})"
            return None
        if kind == "pbkdf2":
            digest, iterations = params[0], int(params[1])
            least = PBKDF2_MIN_ITERATIONS.get(digest)
            if least is None:
                return f"pbkdf2 with {digest} is not accepted (use sha256 or sha512)"
            if iterations < least:
                return f"pbkdf2:{digest} with {iterations} iterations is too cheap (at least {least})"
            return None
    except (IndexError, ValueError):
        return f"cannot read the cost of {method!r}"
    return f"{kind!r} is not an accepted hash method"
