"""Pushes every state change to the browsers connected to this process.

Each server process tails the per-site event streams (XREAD BLOCK: Redis pushes, nobody
polls) and emits each event to its own clients only. Every process therefore sends the
same events in the same order with the same sequence numbers, whichever process made
the change, and a change is pushed even if the process that made it died right after.
The reader reconnects with a doubling back-off capped at 60 s and resumes after the last
event it saw, so a Redis restart loses no update.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import redis

from ..config import Config
from ..engine.keys import Keys, as_text
from ..engine.views import phone_event, phone_own_ticket, public_event
from ..store.clients import on_node, relearn

logger = logging.getLogger(__name__)

BLOCK_MS = 1000
# A site's own reader (on a Redis Cluster) waits longer when nothing is due: 150 sites' readers
# waking every second cost a worker a few per cent of a core with no one in the halls. An
# event still ends the wait at once.
SITE_BLOCK_MS = 5000
BRIEF = ("id", "number", "label", "field", "priority", "state", "counter", "target_counter", "recalls",
         "transfers", "called_at", "started_at", "rating")

# The relay pushes each site's current figures, lists and places at most this often (s): one
# snapshot read per process for every screen and phone, instead of each of them asking.
STATE_GAP = 0.1
# A screen's copy of a field's figures, without the list of its tickets (that goes to counters).
LISTED = "tickets"

# Short: after Redis comes back, the screens must be live again within seconds.
MAX_BACKOFF = 5.0
# Pushed events kept per site, for a screen that connects while they go out (a snapshot
# read takes milliseconds; this covers minutes of a peak).
RECENT = 2000


class Audience(NamedTuple):
    """Who in this process is sent a site's pushed state: the screens that show its figures
    (kiosks, counter screens, monitors: not the lobby displays, which show calls and the counts
    the events carry), the counters whose officer has a screen here, and the tickets whose phone is."""
    figures: int
    desks: set[int]
    phones: set[str]


NOBODY = Audience(0, set(), set())


class EventRelay:
    """One background reader per process; ``emit(event_name, payload, room)`` sends locally."""

    def __init__(self, client: redis.Redis, config: Config, keys: dict[str, Keys], emit, sleep, health=None,
                 listeners: Callable[[str], int] | None = None,
                 read_state: Callable[..., tuple[dict, Any]] | None = None,
                 audience: Callable[[str], Audience] | None = None,
                 spawn: Callable[..., Any] | None = None):
        self.client = client
        # Given for a Redis Cluster: starts a reader per site (see run), each known by a token.
        self.spawn = spawn
        self._readers: dict[str, object] = {}
        # After the events of a read, what changed is pushed in full (see push_state): the state
        # (engine.snapshot_view), and who is here to hear it (counters staffed and phones' tickets).
        self.read_state = read_state
        self.audience = audience or (lambda site_id: NOBODY)
        self._dirty: dict[str, tuple[set[str], set[int]]] = {}   # per site: fields, counters touched
        self._pushed_at: dict[str, float] = {}
        self._places: dict[str, dict[str, dict]] = {sid: {} for sid in config.sites}  # last place sent per phone
        # How many of this process's sockets belong to a site: with none, an event is kept as it
        # came (for a screen that joins next) and neither decoded nor emitted.
        self.listeners = listeners or (lambda site_id: 1)
        self.shaped = 0  # events decoded and shaped into payloads (the costly part)
        self.health = health
        self.config = config
        self.keys = keys
        self.emit = emit
        self.sleep = sleep
        self._stop = threading.Event()
        self._streams = {keys[sid].events: sid for sid in config.sites}
        self.last_ids: dict[str, str] = {}
        self.primed = False
        self.delivered = 0
        # Held while events go out, and while a screen joins its rooms and gets its snapshot:
        # nothing newer than a screen's snapshot can reach it before the snapshot.
        self._sending = threading.Lock()
        # Per site, the last events: [seq, stream fields, their (event, payload, room) or None
        # until someone needs them].
        self._recent: dict[str, deque] = {sid: deque(maxlen=RECENT) for sid in config.sites}

    def stop(self) -> None:
        self._stop.set()

    def add_site(self, site_id: str) -> None:
        """A site added while running (by a province admin): its events are read from the first
        (the site is new: nothing of it can be in a snapshot older than the relay)."""
        stream = self.keys[site_id].events
        self._places[site_id] = {}
        self._recent[site_id] = deque(maxlen=RECENT)
        if self.primed:   # (a site removed and made again: on from where this relay was)
            self.last_ids.setdefault(stream, "0-0")
        self._streams = {**self._streams, stream: site_id}

    def remove_site(self, site_id: str) -> None:
        """A site removed while running: its stream is no longer read (its own reader, on a
        cluster, ends) and what was kept for its screens is dropped."""
        self._streams = {s: sid for s, sid in self._streams.items() if sid != site_id}
        self._readers.pop(site_id, None)
        for kept in (self._places, self._recent, self._dirty, self._pushed_at):
            kept.pop(site_id, None)

    def prime(self) -> None:
        """Remember where each stream ends now: every later event will be pushed. Called before
        the server accepts clients, so none can read a snapshot older than the relay's start."""
        self._start_positions()
        self.primed = True

    def _start_positions(self, only: str | None = None) -> None:
        for stream, site_id in self._streams.items():
            if stream in self.last_ids or (only is not None and site_id != only):
                continue
            last: list = self.client.xrevrange(stream, count=1)  # type: ignore[assignment]  # redis-py types sync and async replies as one
            self.last_ids[stream] = as_text(last[0][0]) if last else "0-0"

    def run(self) -> None:
        """Read and push until stopped; never dies on an error, only waits and retries.

        On one Redis, one XREAD reads every site's stream. A Redis Cluster refuses a command
        whose keys lie in different slots (each site is its own slot), so there each site
        gets a reader of its own (``spawn``: a green thread), and a site added later gets
        one within a second."""
        if self.spawn is None:
            self._read(None)
        else:
            while not self._stop.is_set():
                for site_id in set(self._streams.values()) - set(self._readers):
                    self._readers[site_id] = token = object()
                    self.spawn(self._read, site_id, token)
                self.sleep(1.0)
        logger.info("event relay stopped")

    def _read(self, only: str | None, token: object = None) -> None:
        """Read and push the events of one site (``only``, while ``token`` is its reader's), or of
        all of them (None)."""
        backoff = 0.5
        while not self._stop.is_set():
            if only is not None and self._readers.get(only) is not token:
                return   # its site was removed (and maybe made again: a new reader has it)
            try:
                positions = self._positions(only)
                if not positions:   # (a site's reader between its site's removal and its own end)
                    self.sleep(1.0)
                    continue
                source = self.client if only is None else on_node(self.client, self.keys[only].events)
                replies: list = source.xread(  # type: ignore[assignment]  # (as above)
                    positions, block=self._block_ms(only), count=500)
                backoff = 0.5
                if only is not None and self._readers.get(only) is not token:
                    return   # removed while it waited: what it read is no longer its to send
                if self.health is not None:
                    self.health.ok(wrote=False)
                self._deliver_all(replies)
                self.push_due(only)
            except redis.RedisError as err:
                if self._stop.is_set():
                    break
                if self.health is not None:
                    self.health.failed(err)  # logged there, once per change of state
                else:
                    logger.warning("event relay: Redis unavailable (%s); retrying in %.1f s", err, backoff)
                self.sleep(backoff)
                relearn(self.client)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception:
                logger.exception("event relay: failed to deliver an event; continuing")
                self.sleep(backoff)

    def _positions(self, only: str | None) -> dict[Any, Any]:
        """Where to read on from: each stream (or ``only``'s). A removed site's stream keeps its
        place, in case the site is made again, but is not read."""
        self._start_positions(only)
        streams = self._streams
        return {stream: last for stream, last in self.last_ids.items()
                if stream in streams and (only is None or streams[stream] == only)}

    def _deliver_all(self, replies: list | None) -> None:
        for stream, entries in replies or []:
            stream = as_text(stream)
            site_id = self._streams.get(stream)
            if site_id is None:   # its site was just removed
                continue
            for entry_id, raw in entries:
                self.last_ids[stream] = as_text(entry_id)
                self._deliver(site_id, raw)

    @contextmanager
    def joining(self, site_id: str, after_seq: int, rooms: set[str]) -> Iterator[list[tuple[str, dict]]]:
        """For a screen that joins ``rooms`` with a snapshot current to ``after_seq``: while
        the block runs no event goes out, and it gets the (event, payload) pairs already
        pushed to those rooms after that snapshot, to send right after it, in order. Those
        went out before the screen was in the rooms; later ones reach it the usual way."""
        with self._sending:
            missed: list[tuple[str, dict]] = []
            for entry in self._recent.get(site_id, ()):
                if entry[0] <= after_seq:
                    continue
                if entry[2] is None:  # kept undecoded while this process had no one of the site
                    entry[2] = self._shape(site_id, entry[1])
                missed.extend((name, payload) for name, payload, room in entry[2] if room in rooms)
            yield missed

    def _deliver(self, site_id: str, raw: dict) -> None:
        fields = {as_text(k): as_text(v) for k, v in raw.items()}
        recent = self._recent[site_id]
        with self._sending:
            if not self.listeners(site_id):
                recent.append([int(fields["seq"]), fields, None])
            else:
                out = self._shape(site_id, fields)
                for name, payload, room in out:
                    self.emit(name, payload, room)
                recent.append([int(fields["seq"]), fields, out])
                self._touch(site_id, out[0][1])
        self.delivered += 1

    # -- the state pushed after events ------------------------------------------------------
    def _touch(self, site_id: str, event: dict) -> None:
        """Note the fields and counters whose figures an event may have changed: its waiting
        counts, its counter (opening or closing changes the estimates of the counter's fields)
        and its ticket's field and counters (a finished service changes the field's estimate)."""
        if self.read_state is None:
            return
        fields, counters = self._dirty.setdefault(site_id, (set(), set()))
        fields.update(event.get("waiting") or ())
        counters.update(int(n) for n in event.get("counter_queues") or ())
        if isinstance(event.get("counter"), int):
            counters.add(event["counter"])
            cfg = self.config.sites[site_id].counters.get(event["counter"])
            if cfg is not None and "counter_state" in event:
                fields.update(cfg.fields)
        ticket = event.get("ticket")
        if isinstance(ticket, dict):
            fields.add(str(ticket.get("field")))
            counters.update(n for n in (ticket.get("counter"), ticket.get("target_counter")) if isinstance(n, int))

    def _block_ms(self, only: str | None = None) -> int:
        """How long the next read may wait: until the next push is due, if one is waiting."""
        dirty = [site for site in self._dirty if only is None or site == only]
        if not dirty:
            return BLOCK_MS if only is None else SITE_BLOCK_MS
        due = min(self._pushed_at.get(site, 0.0) for site in dirty) + STATE_GAP
        return max(1, min(BLOCK_MS, int((due - time.monotonic()) * 1000) + 1))

    def push_due(self, only: str | None = None) -> None:
        """Push the state of each site touched (or of ``only``), unless it was pushed less than
        STATE_GAP ago (then a later round does: during a burst, one read covers many events)."""
        now = time.monotonic()
        for site_id in list(self._dirty):
            if only is not None and site_id != only:
                continue
            if now - self._pushed_at.get(site_id, 0.0) >= STATE_GAP:
                fields, counters = self._dirty.pop(site_id)
                self._pushed_at[site_id] = now
                if not self.listeners(site_id):
                    continue
                try:
                    self.push_state(site_id, fields, counters)
                except redis.RedisError:   # pushed again once Redis answers
                    again = self._dirty.setdefault(site_id, (set(), set()))
                    again[0].update(fields)
                    again[1].update(counters)
                    raise

    def push_state(self, site_id: str, fields: set[str], counters: set[int]) -> None:
        """After events, every screen gets what they changed, read once here for all of them:
        - the screens that show figures (``state``, room ``figures:<site>``: kiosks, counter
          screens, monitors): the figures of the fields touched (waiting, estimate, longest wait,
          numbers left) and the counters touched, as in a snapshot. Lobby displays are not in
          that room: they show calls and the waiting counts the events carry, and a hall's many
          displays would each be sent a message to ignore after every event;
        - each counter screen of those fields or counters (``lists``): its own counter, the
          waiting lists and no-shows of its fields touched, and its own queue;
        - each phone whose place moved (``place``): people ahead and estimated wait.
        Each carries the seq of the snapshot it was read from; a screen ignores one older than
        what it has. None of them is part of the event sequence. With none of them here,
        nothing is read."""
        assert self.read_state is not None
        site = self.config.sites[site_id]
        audience = self.audience(site_id)
        phones = audience.phones
        fields = {code for code in fields if code in site.fields}
        desks = {number: fields & set(site.counters[number].fields) for number in audience.desks
                 if number in site.counters and (number in counters or fields & set(site.counters[number].fields))}
        if not (audience.figures or desks or phones):
            return
        snap, view = self.read_state(site_id, with_lists=bool(desks), list_fields=set().union(*desks.values()),
                                     places=phones)
        seq = snap["seq"]
        with self._sending:
            if audience.figures:
                brief = {code: {k: v for k, v in snap["waiting"][code].items() if k != LISTED} for code in fields}
                self.emit("state", {"seq": seq, "site": site_id, "now": snap["now"], "waiting": brief,
                                    "counters": [c for c in snap["counters"] if c["number"] in counters]},
                          f"figures:{site_id}")
            for number, mine in sorted(desks.items()):
                self.emit("lists", {
                    "seq": seq, "site": site_id, "counter": next(c for c in snap["counters"] if c["number"] == number),
                    "waiting": {code: snap["waiting"][code] for code in mine},
                    "counter_queue": snap["counter_queues"].get(number, []),
                    "no_shows": [t for t in snap["no_shows"] if t["field"] in mine],
                }, f"counter:{site_id}:{number}")
            self._push_places(site_id, seq, view.places() if phones else {}, phones)

    def _push_places(self, site_id: str, seq: int, places: dict[str, dict], phones: set[str]) -> None:
        sent = self._places[site_id]
        for ticket_id in list(sent):
            if ticket_id not in phones:   # gone from this process: forget what it was told
                del sent[ticket_id]
        for ticket_id in phones:
            place = places.get(ticket_id)
            if place is None:   # not waiting (its own ticket_update said so)
                sent.pop(ticket_id, None)
                continue
            if sent.get(ticket_id) == place:
                continue
            sent[ticket_id] = place
            self.emit("place", {"seq": seq, **place}, f"ticket:{site_id}:{ticket_id}")

    def _shape(self, site_id: str, fields: dict[str, str]) -> list[tuple[str, dict, str]]:
        """The (event name, payload, room) of each message one stream event makes."""
        self.shaped += 1
        site = self.config.sites[site_id]
        event = public_event(site, fields)
        ticket = event.get("ticket")
        if ticket:
            # The whole site gets the ticket's essentials (one message to every screen of the
            # hall: small is fast); its own phone page gets all of it.
            out = [("update", {**event, "ticket": {k: ticket[k] for k in BRIEF if k in ticket}}, f"site:{site_id}"),
                   ("ticket_update", {**phone_event(event), "ticket": phone_own_ticket(ticket)},
                    f"ticket:{site_id}:{ticket['id']}")]
        else:
            out = [("update", event, f"site:{site_id}")]
        counter = event.get("counter")
        if isinstance(counter, int):
            out.append(("counter_update", event, f"counter:{site_id}:{counter}"))
        return out
