"""The demo hall's secrets are published (README, config.yaml): never serve them to a LAN.

Every password hash, kiosk PIN hash and device token that config.yaml has shipped is
known here by its SHA-256, so a hall that copied the demo config and forgot to replace
one is told which, by path. ``qms serve`` refuses such a config unless told ``--demo``
and listening on loopback only; ``qms check-config`` warns.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from ..config import Config

# SHA-256 of each secret config.yaml has shipped, this version's and the first version's.
PUBLISHED = frozenset({
    # officer "Demo@2026", admin "Admin@2026", kiosk PIN "246810" (scrypt N=2^17)
    "1a50face846f0104c39927d053b31f153445792cf9e8e291934c363c75f652dd",
    "feab6bcd8731e0d2418d26f3d9d329356a235253619d13e464dd26a81de4f0f8",
    "61b20722d4aabbc5c237026fbce462f7a0a5355426330ffe3b6d39bda6225ffd",
    # the same three as the first version hashed them (scrypt N=2^15)
    "b8e453d06e5ef2a538106c29c5d27c99662eb1ac1cd1eea73b46573407b7b97d",
    "83d3e5929a66b71cad744c1e08d0a156646022a041e9f6318609fef6777b9ac6",
    "e70d7f4abcf266d2365fb1ed258a0739f4600ce3283202c8c3930e1e290211dd",
    # device tokens: kiosk-1, kiosk-2, display-1, display-2, agent-1, kiosk-xa, display-xa
    "30b838d2f769d56a0aecb0138e8eec0ab25ba80529e62c8530f6ca8c6134f85e",
    "2df68c1156646cc4d538fd0d6b33d1ab652f6beb11b6bdd61950b1ac871bb361",
    "f7e0ebcfda861fbd4803da985ffff1bd514bea13ad68fc836dddbaaae971d008",
    "2929af6193bbf79f28446cd9aa0589fcd558e40dca29f7c59c9402fd60645df7",
    "a598cf6e0d0cfbcdef052338c8cb47b70f2e5f4bc102bb9d2e176673e4eb74b6",
    "81819634478e28d207acdd1d12ba65f2195be7d2c3a4e2c32ef087306bc19be0",
    "fe59ddca2f5759e2611770b8db08dbc008d24b23efdd5aa7573676614e550369",
})


@dataclass(frozen=True)
class DemoSecret:
    path: str   # where in the config, e.g. sites[hcc].officers[cb01].password_hash
    kind: str   # password, PIN, token


def is_published(secret: str) -> bool:
    return hashlib.sha256(secret.encode()).hexdigest() in PUBLISHED


def demo_secrets(config: Config) -> list[DemoSecret]:
    """Every published secret the config still holds."""
    found = []
    for site in config.sites.values():
        where = f"sites[{site.id}]"
        if site.kiosk_pin_hash and is_published(site.kiosk_pin_hash):
            found.append(DemoSecret(f"{where}.kiosk_pin_hash", "PIN"))
        for officer in site.officers.values():
            if is_published(officer.password_hash):
                found.append(DemoSecret(f"{where}.officers[{officer.username}].password_hash", "password"))
        for group, clients in (("kiosks", site.kiosks), ("displays", site.displays), ("agents", site.agents)):
            for client in clients.values():
                if client.token_sha256 in PUBLISHED:
                    found.append(DemoSecret(f"{where}.{group}[{client.id}].token", "token"))
    for user in config.province.users.values():
        if is_published(user.password_hash):
            found.append(DemoSecret(f"province.users[{user.username}].password_hash", "password"))
    return found


def describe(found: list[DemoSecret], most: int = 4) -> str:
    """'14 passwords, 7 tokens and 2 PINs (sites[hcc].kiosk_pin_hash, …)'."""
    counts: dict[str, int] = {}
    for secret in found:
        counts[secret.kind] = counts.get(secret.kind, 0) + 1
    parts = [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items()]
    listed = ", ".join(s.path for s in found[:most]) + (", …" if len(found) > most else "")
    return f"{', '.join(parts[:-1]) + ' and ' if len(parts) > 1 else ''}{parts[-1]} ({listed})"


def is_loopback(host: str) -> bool:
    """Only this computer can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name or a LAN address: reachable from elsewhere, as far as we can tell


def refusal(config: Config, host: str, demo: bool) -> str | None:
    """Why ``qms serve`` must not start with these secrets on ``host``; None when it may."""
    found = demo_secrets(config)
    if not found:
        return None
    what = describe(found)
    if not demo:
        return (f"the config holds the demo's published secrets: {what}. Anyone who has read the README "
                f"could sign in with them. Make a hall's own config with `qms init`, or try the demo on this "
                f"computer only with `qms serve --demo`.")
    if not is_loopback(host):
        return (f"--demo serves the demo's published secrets ({what}) on loopback only (127.0.0.1), "
                f"not on {host}: anyone on the network could sign in with them. Make a hall's own config "
                f"with `qms init`.")
    if config.server.behind_proxy:
        return (f"--demo serves the demo's published secrets ({what}) on this computer only, and "
                f"server.behind_proxy says a proxy puts it on the network. Make a hall's own config with "
                f"`qms init`.")
    return None
