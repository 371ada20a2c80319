"""Who asks for an operation. The engine records it with each change; auth makes it from a
session or a device token. Neither needs the other to know what an actor is."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field


@dataclass(frozen=True)
class Actor:
    """Who asks for an operation: an officer (maybe an admin), a kiosk, a display, an agent."""

    kind: str
    id: str
    site: str | None = None
    counter: int | None = None
    is_admin: bool = False
    session: str | None = dataclass_field(default=None, compare=False)  # an officer's session digest

    @property
    def label(self) -> str:
        return self.id if self.kind in ("officer", "admin") else f"{self.kind}:{self.id}"


SYSTEM = Actor("system", "system", is_admin=True)
