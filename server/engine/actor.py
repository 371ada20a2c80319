"""Who asks for an operation. The engine records it with each change; auth makes it from a
session or a device token. Neither needs the other to know what an actor is."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field


@dataclass(frozen=True)
class Actor:
    """Who asks for an operation: an officer (maybe an admin), a leader (reads reports), a kiosk,
    a display, an agent. A province admin is an admin at every site."""

    kind: str
    id: str
    site: str | None = None
    counter: int | None = None
    is_admin: bool = False
    session: str | None = dataclass_field(default=None, compare=False)  # an officer's session digest
    scope: str | None = dataclass_field(default=None, compare=False)    # where it is kept: site id or PROVINCE

    @property
    def label(self) -> str:
        return self.id if self.kind in ("officer", "admin", "leader") else f"{self.kind}:{self.id}"

    @property
    def reads_reports(self) -> bool:
        return self.is_admin or self.kind == "leader"


SYSTEM = Actor("system", "system", is_admin=True)
