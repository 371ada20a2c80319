"""The garbage collector of a serving process, set so that it does not pause every screen.

A server process holds its start-up (the app, the modules, the configuration) for ever, and
each screen connected to it holds a few hundred objects for hours. CPython's full collection
scans every one of them: with 500 screens on a worker one took about 100 ms, during which
that worker sent nothing, and it came every few seconds while a call went out to them. A
call sends one message per screen, and each waits in its screen's send queue for a moment:
with the default young-generation threshold (700 new objects) a single call to 500 screens
started young collections mid-send, which promoted those short-lived messages to the older
generations as if they were long-lived, and so brought the next full collection nearer.
docs/benchmarks.md (section 10) has `bench.workers_fanout`'s figures before and after.

So, once the app is made:
- what exists is frozen (``gc.freeze``): kept out of every later scan (it is never garbage);
- a young collection waits for YOUNG new objects instead of 700: a burst of messages in flight
  is freed by reference counting before it is counted as survivors. The older thresholds stay
  CPython's (10, 10): a full collection still comes after at most 100 young ones (about a
  million new objects), so cyclic garbage (a closed connection's, say) cannot grow unbounded.
"""
from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)

YOUNG = 10_000


def settle() -> None:
    """Collect once, freeze what is there, and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
    logger.debug("collector: %d objects frozen, thresholds %s", gc.get_freeze_count(), gc.get_threshold())
