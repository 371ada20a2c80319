"""The central server: the app factory is the one place that wires the parts together."""
from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import redis
import socketio as python_socketio
from flask import Flask, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_socketio import SocketIO
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..config import Config, load_config
from ..config.people import PeopleStore
from ..engine.appointments import AppointmentDesk
from ..engine.keys import PROVINCE, Keys, ScopeKeys
from ..engine.queue_engine import QueueEngine
from ..engine.remote_desk import RemoteDesk
from ..errors import QmsError
from ..history.archive_schema import open_archive
from ..i18n import translate
from ..realtime.devices import DeviceRegistry, ScreenPresence
from ..realtime.handshake_guard import HandshakeGuard
from ..realtime.message_queue import ClusterMessageQueue
from ..realtime.monitor import AlertWatcher
from ..realtime.namespace import LiveNamespace
from ..realtime.relay import EventRelay
from ..security.auth import Authenticator
from ..security.sessions import SessionStore
from ..security.sign_in import PasswordChecker, SignInGuard
from ..store.clients import blocking_client, persistence, queue_client
from ..store.store_health import StoreHealth, is_store_outage
from .lean_issue import LeanIssue
from .public_address import QrBases, qr_warning
from .web_guards import SecurityHeaders, TrustedProxyFix

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """What request handlers reach through ``current_app.extensions['qms']``."""

    config: Config
    redis: redis.Redis
    engine: QueueEngine
    sessions: SessionStore
    auth: Authenticator
    socketio: SocketIO
    relay: EventRelay
    namespace: LiveNamespace
    devices: DeviceRegistry
    health: StoreHealth
    guard: SignInGuard
    handshakes: HandshakeGuard
    people: PeopleStore | None = None
    watcher: AlertWatcher | None = None
    presence: ScreenPresence | None = None
    supervisor: Any = None  # the embedded Redis's, when `qms serve` runs one
    store_description: str | None = None  # a worker's: the embedded Redis its parent runs
    redis_version: str | None = None
    remote: RemoteDesk | None = None   # numbers taken away from the hall: codes by SMS
    appointments: AppointmentDesk | None = None   # slots booked ahead, checked in at a kiosk
    _archive_sql: Engine | None = None
    qr_bases: QrBases = field(default_factory=QrBases)

    @property
    def archive_sql(self) -> Engine:
        """The SQL archive, opened on first use (reports, the archiver)."""
        if self._archive_sql is None:
            self._archive_sql = open_archive(self.config.archive_url)
        return self._archive_sql

    def public_url(self, path: str, environ: dict | None = None) -> str:
        """An absolute address for QR codes (public_address.qr_base): never this computer's own.
        For the request ``environ`` (this request's, unless given)."""
        return self.qr_bases.base(self.config.server.public_url, request.environ if environ is None else environ) + path

    def qr_check(self) -> dict:
        """Where this request's QR codes lead, and why a phone might not open it."""
        base = self.qr_bases.base(self.config.server.public_url, request.environ)
        server = self.config.server
        return {"qr_base": base, "qr_warning": qr_warning(base, server.host, server.behind_proxy)}

    def store_status(self) -> dict:
        """The store as /health reports it: its state (asked now), version, and whether it is ours."""
        out: dict[str, Any] = {"embedded": self.supervisor is not None or self.store_description is not None}
        if self.supervisor is not None:
            out["server"] = self.supervisor.embedded.binary.describe()
        elif self.store_description is not None:
            out["server"] = self.store_description
        try:
            info = self.redis.info("server") if self.redis_version is None else {}
            if info:
                self.redis_version = str(info.get("redis_version"))
            masters = persistence(self.redis)
        except redis.RedisError as err:
            if not is_store_outage(err):
                raise
            self.health.failed(err)
            masters = None
        out["version"] = self.redis_version
        if masters is not None:
            if any(info.get("aof_last_write_status") == "err" for info in masters):
                known = self.health.reason if "writes refused" in self.health.reason else ""
                self.health.failed(known or "redis: cannot write its append-only file (disk full?), writes refused")
            elif self.supervisor is None or self.supervisor.running:
                self.health.ok()  # it answers, and its last AOF write worked
        if self.supervisor is not None and not self.supervisor.running:
            self.health.failed(self.supervisor.reason, known=True)
        return {**out, **self.health.describe()}

    def shutdown(self) -> None:
        self.relay.stop()
        if self.people is not None:
            self.people.stopped = True
        self.handshakes.stop()
        if self.presence is not None:
            self.presence.stop()
        if self.watcher is not None:
            self.watcher.stop()


def create_app(config: Config | None = None, *, redis_url: str | None = None, clock: Any = None,
               always_open: bool = False, message_queue: bool = True, start_relay: bool = True,
               start_watcher: bool = False) -> Flask:
    """Build the Flask app, its Socket.IO server and the queue engine on one Redis.

    ``redis_url`` overrides config.yaml (``qms serve`` passes the embedded server's);
    ``clock`` lets tests move time; ``always_open`` ignores opening hours (demos, training).
    """
    if config is None:
        config = load_config(os.environ.get("QMS_CONFIG", "config.yaml"))
    url = redis_url or config.redis.url
    if not url:
        raise RuntimeError("No Redis URL: set redis.url in config.yaml or start with `qms serve`, "
                           "which runs an embedded Redis.")
    app = Flask("server")  # templates/ and static/ are the server package's, beside its modules' folders
    # nginx tells the client's address and scheme (QR links, secure cookies): believed from the
    # configured proxy addresses only, one hop.
    # (Wrapping app.wsgi_app is Flask's documented way to add WSGI middleware; mypy sees a method.)
    app.config["MAX_CONTENT_LENGTH"] = config.server.max_body_bytes
    # A kiosk's ticket, the busiest request, is answered without Flask's request machinery
    # (lean_issue.py): behind the proxy fix, so its address and scheme are the client's.
    app.wsgi_app = TrustedProxyFix(LeanIssue(app, app.wsgi_app), trusted_proxies(config))  # type: ignore[method-assign]
    app.wsgi_app = _ChunkedInput(app.wsgi_app, config.server.max_body_bytes)  # type: ignore[method-assign]
    app.json = _Json(app)

    cluster = config.redis.cluster
    client = queue_client(url, cluster=cluster)
    health = StoreHealth()
    engine = QueueEngine(client, config, clock=clock, always_open=always_open)
    engine.scripts.on_success = lambda wrote: health.ok(wrote=wrote)
    people_keys = {**engine.keys, PROVINCE: ScopeKeys(config.redis.key_prefix, PROVINCE)}
    sessions = SessionStore(client, people_keys, config.server.session_seconds, config.server.session_max_seconds,
                            now=lambda: engine.clock.now().timestamp())
    guard = SignInGuard(engine.scripts, people_keys, now=lambda: engine.clock.now().timestamp())

    manager = None
    if message_queue:
        # Blocking pub/sub reads need socket_timeout=None (redis-py 8 defaults to 5 s).
        # Its own logger in our format (python-socketio's default prints each retry twice).
        queue_options: dict[str, Any] = {
            "channel": f"{config.redis.key_prefix}-socketio", "logger": logging.getLogger("server.message_queue"),
            "redis_options": {"socket_timeout": None, "health_check_interval": 30}}
        manager = (ClusterMessageQueue(client, url, **queue_options) if cluster
                   else python_socketio.RedisManager(url, **queue_options))
    socketio = SocketIO(app, async_mode=config.server.async_mode, client_manager=manager,
                        max_http_buffer_size=config.server.max_body_bytes, ping_interval=25, ping_timeout=20)
    handshakes = HandshakeGuard(socketio.server, per_address=config.server.anonymous_sessions_per_address,
                                timeout=config.server.handshake_timeout_seconds,
                                proxies=trusted_proxies(config), sleep=socketio.sleep,
                                start_task=socketio.start_background_task)
    namespace = LiveNamespace("/")

    def drop_sockets(sids: list[str]) -> None:
        for sid in sids:
            socketio.server.disconnect(sid, namespace="/")

    auth = Authenticator(config, sessions, PasswordChecker(), drop_sockets=drop_sockets)
    socketio.on_namespace(namespace)

    # The relay blocks on XREAD: its own connections without a read timeout.
    relay_client = blocking_client(url, cluster=cluster)
    relay = EventRelay(relay_client, config, engine.keys,
                       emit=lambda event, data, room: socketio.emit(event, data, to=room, ignore_queue=True),
                       sleep=socketio.sleep, health=health, listeners=namespace.listeners,
                       read_state=engine.snapshot_view, audience=namespace.audience,
                       spawn=socketio.start_background_task if cluster else None)
    devices = DeviceRegistry(client, config, engine.keys,
                             emit=lambda event, data, room: socketio.emit(event, data, to=room))
    # Around everything, Socket.IO's endpoint included: no response leaves without them.
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["qms"] = Services(config=config, redis=client, engine=engine, sessions=sessions,
                                     auth=auth, guard=guard,
                                     socketio=socketio, relay=relay,
                                     namespace=namespace, devices=devices, health=health, handshakes=handshakes)

    services = app.extensions["qms"]
    services.people = PeopleStore(config, client, {s: k.people_version for s, k in people_keys.items()},
                                  lambda: services.archive_sql,
                                  now_ms=lambda: int(engine.clock.now().timestamp() * 1000))
    services.people.on_site.append(lambda site: _register_site(site, services, people_keys))
    services.people.on_site_removed.append(lambda site_id: _unregister_site(site_id, services, people_keys))
    services.people.on_devices += [auth.reindex, namespace.devices_changed]
    services.people.on_hall.append(namespace.hall_changed)
    services.people.on_agents.append(namespace.agents_changed)
    services.people.start()

    from counter import bp as counter_bp
    from display import bp as display_bp
    from kiosk import bp as kiosk_bp

    from .. import i18n
    from . import admin, api, appointments, pages, people, province, remote, reports_api, webhooks_admin

    services.remote = RemoteDesk(client, engine.keys, engine.clock.now)
    services.appointments = AppointmentDesk(engine)
    i18n.init_app(app)
    for blueprint in (api.bp, remote.bp, appointments.bp, reports_api.bp, province.api_bp, people.api_bp,
                      webhooks_admin.api_bp, pages.bp, admin.bp, province.pages_bp, people.pages_bp,
                      webhooks_admin.pages_bp, kiosk_bp, counter_bp, display_bp):
        app.register_blueprint(blueprint)
    _register_error_handlers(app)
    if start_relay:
        relay.prime()
        socketio.start_background_task(relay.run)
        services = app.extensions["qms"]
        services.presence = ScreenPresence(devices, namespace.connected_screens, socketio.sleep)
        socketio.start_background_task(services.presence.run)
        socketio.start_background_task(_follow_people, services.people, socketio.sleep)
    if start_watcher:
        services = app.extensions["qms"]
        services.watcher = AlertWatcher(engine, client, engine.keys,
                                        emit=lambda event, data, room: socketio.emit(event, data, to=room),
                                        sleep=socketio.sleep)
        socketio.start_background_task(services.watcher.run)
    logger.info("app ready: sites=%s async_mode=%s redis=%s", ",".join(config.sites), config.server.async_mode,
                _safe_url(url))
    return app


def _register_site(site, services, people_keys: dict) -> None:
    """A site a province admin added, made known to this process: its keys (engine, relay,
    devices and the alert watcher share them; sessions and sign-in guard have their own map),
    its live administration's version key, and the relay's stream."""
    keys = Keys(services.config.redis.key_prefix, site)
    services.engine.keys[site.id] = keys
    people_keys[site.id] = keys
    services.people.version_keys[site.id] = keys.people_version
    services.relay.add_site(site.id)


def _unregister_site(site_id: str, services, people_keys: dict) -> None:
    """A site a province admin removed, forgotten by this process: its sockets here closed (its
    screens show their set-up screen), its devices' tokens refused, its stream no longer read,
    its keys dropped (requests to it answer 404)."""
    services.namespace.site_removed(site_id)
    services.auth.reindex()
    services.relay.remove_site(site_id)
    for mapping in (services.engine.keys, people_keys, services.people.version_keys):
        mapping.pop(site_id, None)


def _follow_people(people: PeopleStore, sleep) -> None:
    """Every second: the people and hours changed by any server process (server/config/people.py).
    While the store is down they stay as they were; that is said once, not every second (the
    store's own health says the rest)."""
    failing = False
    while not people.stopped:
        sleep(1.0)
        try:
            people.refresh()
        except (redis.RedisError, SQLAlchemyError) as err:
            if not failing:
                logger.warning("live administration not followed while the store is unavailable: %s", err)
            failing = True
        else:
            if failing:
                logger.info("live administration followed again")
            failing = False


class _Json(DefaultJSONProvider):
    """JSON with Vietnamese as it is (not \\u escapes) and keys in the order they were built."""

    ensure_ascii = False
    sort_keys = False


class _ChunkedInput:
    """eventlet's server decodes a chunked body but does not say it ends by itself, so
    Werkzeug, seeing no Content-Length, reads it as empty. Saying so lets Werkzeug read it;
    Werkzeug then applies no size limit to it, so the body is capped here (413 past it)."""

    def __init__(self, wsgi_app, max_bytes: int):
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get("CONTENT_LENGTH"):
            environ["wsgi.input_terminated"] = True
            environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], self.max_bytes)
        return self.wsgi_app(environ, start_response)


class _CappedInput(io.RawIOBase):
    """A request body that raises 413 once more than ``max_bytes`` come (Werkzeug's own
    LimitedStream stops at the limit silently, which would cut a long body short)."""

    def __init__(self, stream, max_bytes: int):
        super().__init__()
        self.stream, self.max_bytes, self.count = stream, max_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(min(len(buffer), self.max_bytes + 1 - self.count))
        self.count += len(data)
        if self.count == self.max_bytes and data:
            self.count += len(self.stream.read(1))  # at the limit: one more byte means too long
        if self.count > self.max_bytes:
            raise RequestEntityTooLarge()
        buffer[:len(data)] = data
        return len(data)


def trusted_proxies(config: Config) -> frozenset[str]:
    """The addresses whose X-Forwarded-* headers are believed: none unless behind_proxy."""
    return config.server.proxy_addresses if config.server.behind_proxy else frozenset()


def _safe_url(url: str) -> str:
    """The Redis URL without its password, for logs."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(QmsError)
    def domain_error(err: QmsError):
        if not request.path.startswith("/api/"):
            message = translate(g.get("lang", "vi"), f"error.{err.code}")
            return render_template("error.html", message=message), err.status
        response = jsonify(err.to_json())
        if "retry_after" in err.details:
            response.headers["Retry-After"] = str(err.details["retry_after"])
        return response, err.status

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if not request.path.startswith("/api/"):
            if err.code == 404:
                return render_template("error.html", message=translate(g.get("lang", "vi"), "error.not_found")), 404
            return err
        # 413 is named as openapi.yaml and PayloadTooLarge name it (RFC 9110 calls it "Content Too Large").
        code = "payload_too_large" if err.code == 413 else (err.name or "error").lower().replace(" ", "_")
        return jsonify({"error": {"code": code, "message": err.description}}), err.code

    @app.errorhandler(redis.RedisError)
    def store_unavailable(err):
        if not is_store_outage(err):
            return unexpected(err)
        # One log line per change of the store's state (StoreHealth), not a traceback per request.
        reason = app.extensions["qms"].health.failed(err)
        return jsonify({"error": {"code": "store_unavailable",
                                  "message": f"The queue store is unavailable ({reason}); try again shortly."}}), 503

    @app.errorhandler(Exception)
    def unexpected(err):
        logger.exception("unexpected error during %s %s", request.method, request.path)
        return jsonify({"error": {"code": "internal_error", "message": "Internal error."}}), 500
