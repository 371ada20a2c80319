"""Every Redis key name, defined in one place.

All keys of a site share the hash tag ``{site}`` so a Redis Cluster keeps the whole
site on one shard and every Lua script touches one slot. Keys that hold a business
day's queue carry the day (YYYYMMDD in the site's time zone): a new day starts on
fresh keys and yesterday's tickets stay readable as history.
"""
from __future__ import annotations

from ..config import SiteConfig

LANES = ("p", "n")  # priority lane first, then normal


PROVINCE = "_province"
"""The scope of the province's own people (sessions, sign-in tries): no site id starts with '_'."""


class ScopeKeys:
    """Key names of people signing in, in one scope: a site, or the province (PROVINCE)."""

    def __init__(self, prefix: str, scope: str):
        self.base = f"{prefix}:{{{scope}}}"

    def sign_in_tries(self, client: str) -> str:
        """Sign-in (or kiosk PIN) tries of one client: a digest of name and address, or of an address."""
        return f"{self.base}:signin:{client}"

    def session(self, digest: str) -> str:
        """A sign-in session, named by the SHA-256 of its id (never the id itself)."""
        return f"{self.base}:sess:{digest}"

    def officer_sessions(self, username: str) -> str:
        """The digests of one person's sessions."""
        return f"{self.base}:sessof:{username}"

    def session_sockets(self, digest: str) -> str:
        """The Socket.IO sids opened with one session."""
        return f"{self.base}:sesssock:{digest}"

    @property
    def people_version(self) -> str:
        """Bumped by each live change of the people (server/config/people.py): every server
        process reloads them when it sees a new value."""
        return f"{self.base}:people"


class Keys(ScopeKeys):
    """Key names of one site."""

    def __init__(self, prefix: str, site: SiteConfig):
        super().__init__(prefix, site.id)
        self.site = site

    # The site's fields and counters as they are now (the live administration swaps them).
    @property
    def field_codes(self) -> list[str]:
        return list(self.site.fields)

    @property
    def counter_ids(self) -> list[str]:
        return [str(n) for n in self.site.counters]

    # -- site-wide -----------------------------------------------------------
    @property
    def seq(self) -> str:
        """Per-site sequence: ticket ids and first-come order (never the clock)."""
        return f"{self.base}:seq"

    @property
    def evseq(self) -> str:
        """Per-site event counter: the sequence number every pushed update carries."""
        return f"{self.base}:evseq"

    @property
    def events(self) -> str:
        """The per-site audit stream of every state change."""
        return f"{self.base}:events"

    @property
    def counters(self) -> str:
        return f"{self.base}:counters"

    @property
    def service_times(self) -> str:
        """Recent service durations per field, for the estimated wait."""
        return f"{self.base}:svc"

    @property
    def open_days(self) -> str:
        """Business days that still have keys to close at rollover."""
        return f"{self.base}:days"

    def idempotency(self, actor: str, key: str) -> str:
        return f"{self.base}:idem:{actor}:{key}"

    def token(self, token: str) -> str:
        """Phone-page token -> ticket id."""
        return f"{self.base}:tok:{token}"

    def rate_limit(self, who: str, window: int) -> str:
        """Requests of one kiosk in one time window."""
        return f"{self.base}:rate:{who}:{window}"

    # -- per business day ----------------------------------------------------
    def tickets(self, day: str) -> str:
        return f"{self.base}:tickets:{day}"

    def numbers(self, day: str) -> str:
        return f"{self.base}:numbers:{day}"

    def noshow(self, day: str) -> str:
        return f"{self.base}:noshow:{day}"

    def remote(self, day: str) -> str:
        """Numbers taken away from the hall that day: 'p:<phone key>' and 'f:<field>' -> how many."""
        return f"{self.base}:remote:{day}"

    def remote_secret(self) -> str:
        """A random key of the site's, so phone numbers are kept only as keyed digests."""
        return f"{self.base}:remote_secret"

    def otp(self, phone_key: str) -> str:
        """The code sent by SMS to a phone, while it is good (its digest and the tries left)."""
        return f"{self.base}:otp:{phone_key}"

    def otp_rate(self, who: str, window: int) -> str:
        """Codes asked for by one phone or one address in a time window."""
        return f"{self.base}:otp_rate:{who}:{window}"

    def bookings(self, day: str) -> str:
        """Appointments for that day: booking code -> its record (JSON); and 's:<field>:<HHMM>' /
        'p:<phone key>' -> the bookings a slot / a phone holds."""
        return f"{self.base}:appt:{day}"

    def booking_link(self, token: str) -> str:
        """A booking's own page (its secret link) -> 'day:code'."""
        return f"{self.base}:apptlink:{token}"

    def held(self, day: str) -> str:
        """Checked-in appointments waiting for their slot time: ticket id -> when it joins its line."""
        return f"{self.base}:held:{day}"

    def pickups(self, day: str) -> str:
        """Dossier code -> the ticket of the day collecting its result (one in line per result)."""
        return f"{self.base}:pickups:{day}"

    def calls(self, day: str) -> str:
        return f"{self.base}:calls:{day}"

    def queue(self, day: str, field: str, lane: str) -> str:
        return f"{self.base}:q:{day}:{field}:{lane}"

    def finished(self, day: str, counter: str) -> str:
        """Tickets a counter finished that day, scored by the finish time (rating attribution)."""
        return f"{self.base}:fin:{day}:{counter}"

    def ratings(self, day: str) -> str:
        """Every satisfaction press of the day, attributed or not: press id -> JSON."""
        return f"{self.base}:ratings:{day}"

    def press(self, press_id: str) -> str:
        """A press already stored (so a press re-sent by an agent counts once)."""
        return f"{self.base}:press:{press_id}"

    @property
    def webhook_log(self) -> str:
        """The site's webhook attempts, newest first (JSON each; the last 500)."""
        return f"{self.base}:webhook_log"

    @property
    def archive_lease(self) -> str:
        """Which archiver writes this site's events now."""
        return f"{self.base}:archiver"

    def alert(self, field: str, ticket_id: str) -> str:
        """Set once an alert about this field (and its oldest waiting ticket) went out."""
        return f"{self.base}:alert:{field}:{ticket_id}"

    def agent(self, agent_id: str) -> str:
        """Present while the agent's heartbeats arrive (expires after three missed ones)."""
        return f"{self.base}:agent:{agent_id}"

    @property
    def devices(self) -> str:
        """Device id -> last reported status (connected, last seen, error counts)."""
        return f"{self.base}:devices"

    @property
    def screens(self) -> str:
        """'display:<id>' / 'kiosk:<id>' -> when a server last saw that screen connected (ms)."""
        return f"{self.base}:screens"

    def counter_queue(self, day: str, counter: str) -> str:
        """Tickets transferred to one named counter."""
        return f"{self.base}:cq:{day}:{counter}"

    def transferred(self, day: str) -> str:
        """Per field, how many of its tickets wait in a named counter's line (they count as waiting)."""
        return f"{self.base}:xfer:{day}"

    def extra_dossiers(self, day: str) -> str:
        """Per field, the dossiers its waiting visitors declared beyond one each (bulk submitters)."""
        return f"{self.base}:extra:{day}"

    # -- the queue layout every script receives ----------------------------------
    def layout_keys(self, day: str, fields=None, counters=None) -> list[str]:
        """Waiting lines of the day: per field the priority and normal lane, then per counter
        (all of them, or only the ones an operation can touch: fewer arguments to send), then
        the count of each field's tickets waiting in counters' lines, and of its waiting
        visitors' extra dossiers."""
        fields = self.field_codes if fields is None else fields
        counters = self.counter_ids if counters is None else counters
        keys = [self.queue(day, f, lane) for f in fields for lane in LANES]
        keys += [self.counter_queue(day, c) for c in counters]
        keys.append(self.transferred(day))
        keys.append(self.extra_dossiers(day))
        return keys

    def layout_args(self, fields=None, counters=None) -> list[str]:
        fields = self.field_codes if fields is None else fields
        counters = self.counter_ids if counters is None else counters
        return [str(len(fields)), str(len(counters)), *fields, *counters]


def as_text(value: bytes | str) -> str:
    """A Redis reply as text, whether the client decodes replies or not."""
    return value.decode() if isinstance(value, bytes) else value
