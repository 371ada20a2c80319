"""Model 1: one panel per serial port, one ASCII byte per press (e.g. '1' '2' '3').

Which byte means which level is configured (``options.keys``). Line ends and spaces some
panels add are ignored; any other byte is garbage: counted and skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

IGNORED = frozenset(b"\r\n \x00")


@dataclass
class AsciiPanelDecoder:
    keys: dict[str, int]
    presses: int = 0
    garbage: int = 0
    _levels: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self):
        self._levels = {ord(k): level for k, level in self.keys.items() if len(k) == 1 and ord(k) < 128}

    def feed(self, data: bytes) -> list[int]:
        """The levels pressed in ``data`` (in order); unknown bytes are counted as garbage."""
        levels = []
        for byte in data:
            level = self._levels.get(byte)
            if level is not None:
                levels.append(level)
                self.presses += 1
            elif byte not in IGNORED:
                self.garbage += 1
        return levels
