"""The ``qms`` command: serve, check-config, hash-password.

Only the standard library's argparse/os/sys are imported before ``serve`` decides its
async mode: eventlet (the default) must patch the standard library before anything else
loads sockets or threads.
"""
import argparse
import os
import sys

DEFAULT_CONFIG = os.environ.get("QMS_CONFIG", "config.yaml")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="qms", description="Queue management for public service centres.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the central server")
    serve.add_argument("--config", default=DEFAULT_CONFIG, help="path to config.yaml")
    serve.add_argument("--host", help="address to listen on (default from config)")
    serve.add_argument("--port", type=int, help="port to listen on (default from config)")
    serve.add_argument("--always-open", action="store_true",
                       help="issue tickets at any hour (demos and training), ignoring opening hours")
    serve.add_argument("--demo", action="store_true",
                       help="allow the demo config's published passwords and tokens, on loopback only")
    serve.add_argument("--async-mode", choices=("eventlet", "gevent", "threading"),
                       help="override server.async_mode")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="server processes behind the port (default server.workers; 0 there: one per core)")
    serve.add_argument("--worker-fd", type=int, help=argparse.SUPPRESS)      # a worker's shared listening socket
    serve.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)

    init = sub.add_parser("init", help="write a new hall's config with random tokens and its own passwords")
    init.add_argument("path", nargs="?", default=DEFAULT_CONFIG, help="the file to write (default config.yaml)")
    init.add_argument("--site", help="site id: lower-case letters, digits, '-' (asked if not given)")
    init.add_argument("--name", help="the centre's name, e.g. 'Bộ phận Một cửa xã …' (asked if not given)")
    init.add_argument("--name-en", default="", help="its English name")
    init.add_argument("--counters", type=int, default=3, help="how many counters (one officer each; default 3)")
    init.add_argument("--host", default="127.0.0.1", help="server.host (default 127.0.0.1: this computer only)")
    init.add_argument("--port", type=int, default=8080)
    init.add_argument("--stdin", action="store_true",
                      help="read the passwords from standard input, one a line: admin, each officer, kiosk PIN")
    init.add_argument("--force", action="store_true", help="replace the file if it exists")
    init.set_defaults(func=_init)

    tls = sub.add_parser("tls", help="HTTPS on a LAN without internet: the hall's own CA and nginx's certificate")
    tls.add_argument("--dir", default="tls", help="where the CA and the certificate go (default ./tls)")
    tls.add_argument("--name", action="append", default=[], help="a name the screens use, e.g. qms.hall.local")
    tls.add_argument("--ip", action="append", default=[], help="an address the screens use, e.g. 192.168.1.10")
    tls.add_argument("--days", type=int, default=825, help="how long the certificate lasts (default 825 days)")
    tls.set_defaults(func=_tls)

    check = sub.add_parser("check-config", help="validate a config file and summarise it")
    check.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
    check.set_defaults(func=_check_config)

    hashpw = sub.add_parser("hash-password", help="make a password_hash for config.yaml")
    hashpw.add_argument("--stdin", action="store_true", help="read the password from standard input")
    hashpw.add_argument("--pin", action="store_true", help="a kiosk admin PIN (4 to 8 digits) instead of a password")
    hashpw.set_defaults(func=_hash_password)

    agent = sub.add_parser("agent", help="run the device agent of this PC's rating panels, printers and LED displays")
    agent.add_argument("--server", default="http://127.0.0.1:8080", help="the central server's address")
    agent.add_argument("--token-file", help="a file holding this agent's token (else $QMS_AGENT_TOKEN); the agent "
                                            "asks the server for its devices and needs nothing else")
    agent.add_argument("--ca-file", help="the CA certificate that vouches for the server's HTTPS (qms tls makes "
                                         "one); default: the system's")
    agent.add_argument("--spool", default=None,
                       help="folder for presses not yet delivered and the last settings "
                            "(default ~/.local/share/qms-agent)")
    agent.set_defaults(func=_agent)

    archive = sub.add_parser("archive", help="run the history archiver on its own (qms serve runs one as well)")
    archive.add_argument("--config", default=DEFAULT_CONFIG)
    archive.add_argument("--consumer", default=None, help="a name for this archiver in the consumer group")
    archive.add_argument("--redis-url", default=None, help="override redis.url (qms serve passes its embedded one)")
    archive.add_argument("--nice", type=int, default=0, help="lower this process's CPU priority (qms serve: 10)")
    archive.set_defaults(func=_archive)

    archive_db = sub.add_parser("archive-db", help="show the SQL archive's schema revision, or --upgrade it "
                                "(qms serve and qms archive upgrade it by themselves when they start)")
    archive_db.add_argument("--config", default=DEFAULT_CONFIG)
    archive_db.add_argument("--upgrade", action="store_true", help="apply the migrations it lacks")
    archive_db.set_defaults(func=_archive_db)

    province = sub.add_parser("province-report", help="every site's figures for a period from the SQL archive, "
                              "as JSON: rows per site and agency, the total, sites and officers ranked")
    province.add_argument("--config", default=DEFAULT_CONFIG)
    province.add_argument("--period", default="month", choices=("day", "week", "month", "quarter", "year", "custom"))
    province.add_argument("--date", help="a day in the period, YYYY-MM-DD (default today)")
    province.add_argument("--from", dest="first", help="first day of a custom period")
    province.add_argument("--to", dest="last", help="last day of a custom period")
    province.add_argument("--lang", default="vi", choices=("vi", "en"))
    province.set_defaults(func=_province_report)

    conf = sub.add_parser("config", help="the live configuration: export it as YAML, or import a file into it")
    conf_what = conf.add_subparsers(dest="action", required=True)
    export = conf_what.add_parser("export", help="config.yaml with each site's people, devices, hours and days off "
                                  "as they are now (live administration), on standard output or --out")
    export.add_argument("--config", default=DEFAULT_CONFIG)
    export.add_argument("--out", help="write here instead of standard output")
    export.set_defaults(func=_config_export)
    imp = conf_what.add_parser("import", help="make each site's people, devices, hours and days off those of FILE "
                               "(checked whole first; audited)")
    imp.add_argument("file")
    imp.add_argument("--config", default=DEFAULT_CONFIG, help="the config whose archive and Redis are used")
    imp.set_defaults(func=_config_import)

    simulate = sub.add_parser("simulate", help="simulated devices on pseudo-terminals / TCP")
    what = simulate.add_subparsers(dest="device", required=True)
    panel = what.add_parser("panel", help="a rating panel on a pseudo-terminal; type presses on stdin")
    panel.add_argument("--model", choices=("ascii", "rs485"), default="ascii")
    panel.add_argument("--addresses", default="1", help="RS-485 bus addresses, e.g. 1,2,3")
    panel.add_argument("--link", help="a stable path (symlink) for the port, to put in config.yaml")
    panel.add_argument("--press", default="", help="presses to make and exit, e.g. '1,2,3' or '1:3,2:1' (address:key)")
    panel.set_defaults(func=_simulate_panel)
    printer = what.add_parser("printer", help="a raw-TCP ESC/POS printer saving each ticket as PNG")
    printer.add_argument("--port", type=int, default=9100)
    printer.add_argument("--out", default="printed", help="folder for the PNG files")
    printer.add_argument("--paper-out", action="store_true", help="answer that the paper has run out")
    printer.set_defaults(func=_simulate_printer)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _Refused as err:  # a bad config or argument: said plainly, nothing changed
        sys.stderr.write(f"{err}\n")
        return 2


def _peek_async_mode(path: str) -> str:
    """server.async_mode from the file, without validating it (that comes after patching)."""
    try:
        import yaml

        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        mode = doc.get("server", {}).get("async_mode", "eventlet")
        return mode if mode in ("eventlet", "gevent", "threading") else "eventlet"
    except Exception:
        return "eventlet"


def _patch(mode: str) -> None:
    if mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()


LOG_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"


class _Refused(Exception):
    """A command cannot start (bad config or arguments); its message is for the user, and
    nothing was changed. main() prints it and exits with 2."""


class _StoreFailed(Exception):
    """The embedded Redis would not start (exit 1: the config was fine)."""


def _load(path: str, command: str):
    """The config at ``path``, or _Refused naming every bad path and value in it."""
    from .config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as err:
        raise _Refused(f"qms {command}: refusing to start, {err}") from err


def _log_to_stderr(level: str) -> None:
    import logging

    logging.basicConfig(level=level, format=LOG_FORMAT)
    # Alembic describes its set-up at INFO on every start; the archive logs what it migrated.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _serve(args) -> int:
    mode = args.async_mode or _peek_async_mode(args.config)
    _patch(mode)

    import dataclasses
    import logging

    from .config.demo_secrets import refusal

    config = _load(args.config, "serve")
    _log_to_stderr(config.server.log_level)
    log = logging.getLogger("qms.serve")
    server_cfg = dataclasses.replace(config.server, async_mode=mode,
                                     host=args.host or config.server.host, port=args.port or config.server.port)
    config = dataclasses.replace(config, server=server_cfg)
    why = refusal(config, server_cfg.host, args.demo)
    if why:
        sys.stderr.write(f"qms: refusing to start: {why}\n")
        return 2
    if args.worker_fd is not None:
        _on_sigterm(mode, log)
        return _run_worker(config, args, log)
    workers = _worker_count(args, config, log)
    try:
        embedded, url = _open_store(config, log)
    except _StoreFailed as err:
        log.error("%s", err)
        return 1
    if workers > 1:
        return _run_parent(config, url, embedded, workers, args, log)
    _on_sigterm(mode, log)
    return _run(config, url, embedded, args.always_open, log)


def _worker_count(args, config, log) -> int:
    from .web.workers import default_workers

    if args.workers is not None and args.workers < 0:
        log.warning("--workers %d: serving with one process", args.workers)
        return 1
    count = args.workers or config.server.workers or default_workers()
    if count > 1 and config.server.async_mode != "eventlet":
        log.warning("several workers need async_mode eventlet (not %s): serving with one process",
                    config.server.async_mode)
        return 1
    return count


def _run_parent(config, url: str, embedded, workers: int, args, log) -> int:
    """`qms serve --workers N`: the port, the store and the archiver here; N workers serve."""
    import signal
    import socket
    import threading
    import time

    from .history.archiver import ArchiverProcess
    from .store.store_health import StoreHealth
    from .web.workers import WorkerPool, bind, worker_argv

    server_cfg = config.server
    stopping: list[int] = []
    halts: list = []   # what must not start anything again once a signal came

    def _stop(signum, _frame):
        log.info("signal %s: stopping the workers", signum)
        stopping.append(signum)
        for halt in halts:   # Ctrl-C reaches the children too: none is restarted meanwhile
            halt()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    pool = archiver = supervisor = None
    try:
        try:
            listener = bind(server_cfg.host, server_cfg.port)
        except OSError as err:
            log.error("cannot listen on %s:%s: %s", server_cfg.host, server_cfg.port, err)
            return 1
        env = {**os.environ, "QMS_WORKER_REDIS_URL": url}
        if embedded is not None:
            from .store.redis_supervisor import RedisSupervisor

            env["QMS_WORKER_STORE"] = embedded.binary.describe()
            supervisor = RedisSupervisor(embedded, StoreHealth())
            threading.Thread(target=supervisor.run, name="redis-supervisor", daemon=True).start()
        pool = WorkerPool(workers, listener, worker_argv(args, server_cfg), env)
        halts.append(pool.halt)
        pool.start()
        threading.Thread(target=pool.supervise, name="workers", daemon=True).start()
        archiver = ArchiverProcess(config.path, url, f"{socket.gethostname()}-{server_cfg.port}")
        halts.append(archiver.halt)
        threading.Thread(target=archiver.supervise, name="archiver", daemon=True).start()
        log.info("serving %s on http://%s:%s with %d workers (always open: %s)", ", ".join(config.sites),
                 server_cfg.host, server_cfg.port, workers, "yes" if args.always_open else "no")
        while not stopping:
            time.sleep(0.25)
    finally:
        if pool is not None:
            pool.stop()
        _stop_children(supervisor, archiver, None, embedded)
    return 0


def _run_worker(config, args, log) -> int:
    """One worker of `qms serve --workers N`: the whole server on the shared listening socket."""
    import socket

    from . import collector
    from .web.app import create_app
    from .web.http_server import serve
    from .web.sticky import Sticky, prefix_session_ids
    from .web.workers import worker_socket

    url = os.environ.get("QMS_WORKER_REDIS_URL")
    if not url:
        sys.stderr.write("qms serve --worker-fd: started by qms serve --workers only\n")
        return 2
    server_cfg = config.server
    index = args.worker_index
    app = None
    try:
        app = create_app(config, redis_url=url, always_open=args.always_open, start_watcher=True)
        collector.settle()   # (as in _run)
        services = app.extensions["qms"]
        services.store_description = os.environ.get("QMS_WORKER_STORE")
        prefix_session_ids(services.socketio, index)
        sockets = {i: worker_socket(server_cfg.data_dir, server_cfg.port, i) for i in range(args.workers or 1)}
        app.wsgi_app = Sticky(app.wsgi_app, index, sockets)  # type: ignore[method-assign]  # Flask's own way to add WSGI middleware
        listener = socket.socket(fileno=args.worker_fd)
        log.info("worker %d serving %s (pid %d)", index, ", ".join(config.sites), os.getpid())
        serve(app, server_cfg.host, server_cfg.port, max_connections=server_cfg.max_connections,
              header_timeout=server_cfg.header_timeout_seconds, socket_timeout=server_cfg.socket_timeout_seconds,
              listener=listener, private=str(sockets[index]))
    except KeyboardInterrupt:
        log.info("worker %d: shutting down", index)
    finally:
        if app is not None:
            app.extensions["qms"].shutdown()
    return 0


def _open_store(config, log):
    """(the embedded Redis or None, the URL to use): an external Redis if config names one,
    else the embedded one, started here."""
    from .store.embedded_redis import EmbeddedRedis, EmbeddedRedisError, choose_redis_binary

    url = config.redis.url
    if url:
        log.info("qms serve: %s, store: %s", ", ".join(config.sites), _external_store(url, config.redis.cluster))
        return None, url
    try:
        binary = choose_redis_binary(config.redis.server_binary)
        log.info("qms serve: %s, store: embedded %s", ", ".join(config.sites), binary.describe())
        if binary.known_unpatched():
            log.warning("%s predates the fixes for CVE-2024-31449 and CVE-2025-49844 (and the other 2025 Lua "
                        "CVEs): install a patched one (Debian: apt install redis-server), which qms then runs",
                        binary.describe())
        embedded = EmbeddedRedis(config.server.data_dir / "redis", appendfsync=config.redis.appendfsync,
                                 binary=binary, avoid_ports=frozenset({config.server.port}))
        return embedded, embedded.start()
    except EmbeddedRedisError as err:
        raise _StoreFailed(f"cannot start the embedded Redis: {err}") from err


def _run(config, url: str, embedded, always_open: bool, log) -> int:
    """The app, its Redis supervisor and archiver, served until a signal; everything stopped after."""
    import socket

    from . import collector
    from .history.archiver import ArchiverProcess
    from .web.app import create_app

    server_cfg = config.server
    mode = server_cfg.async_mode
    app = archiver = supervisor = None
    try:
        app = create_app(config, redis_url=url, always_open=always_open, start_watcher=True)
        services = app.extensions["qms"]
        if embedded is not None:
            from .store.redis_supervisor import RedisSupervisor

            supervisor = services.supervisor = RedisSupervisor(embedded, services.health, services.socketio.sleep)
            services.socketio.start_background_task(supervisor.run)
        # Everything made at start-up lives for ever: kept out of the collector's scans, which
        # otherwise pause every connection together (server/collector.py).
        collector.settle()
        # The archiver runs in a child process: its SQL work must not stall the web event loop.
        archiver = ArchiverProcess(config.path, url, f"{socket.gethostname()}-{server_cfg.port}")
        services.socketio.start_background_task(archiver.supervise, services.socketio.sleep)
        log.info("serving %s on http://%s:%s (async_mode=%s%s)", ", ".join(config.sites), server_cfg.host,
                 server_cfg.port, mode, ", always open" if always_open else "")
        _listen(app, server_cfg)
    except KeyboardInterrupt:
        log.info("interrupted: shutting down")
    finally:
        _stop_children(supervisor, archiver, app, embedded)
    return 0


def _stop_children(supervisor, archiver, app, embedded) -> None:
    """Stop in order: no more Redis restarts, the archiver (it hands its lead over while Redis
    is up), the app's own threads, and Redis last."""
    if supervisor is not None:
        supervisor.stop()
    if archiver is not None:
        archiver.stop()
    if app is not None:
        app.extensions["qms"].shutdown()
    if embedded is not None:
        embedded.stop()


def _listen(app, server_cfg) -> None:
    """Serve HTTP and websockets until stopped: eventlet's server with our connection limits,
    or Flask-SocketIO's runner for gevent and threading."""
    if server_cfg.async_mode == "eventlet":
        from .web.http_server import serve

        serve(app, server_cfg.host, server_cfg.port, max_connections=server_cfg.max_connections,
              header_timeout=server_cfg.header_timeout_seconds, socket_timeout=server_cfg.socket_timeout_seconds)
        return
    run_kwargs = {"host": server_cfg.host, "port": server_cfg.port}
    if server_cfg.async_mode == "threading":
        run_kwargs["allow_unsafe_werkzeug"] = True
    else:
        run_kwargs["log_output"] = False
    app.extensions["qms"].socketio.run(app, **run_kwargs)


def _external_store(url: str, cluster: bool = False) -> str:
    """'redis-server 7.2.4 at redis://…' (no password), as far as it can be asked now."""
    import redis

    from .store.clients import plain_client
    from .web.app import _safe_url

    try:
        client = plain_client(url, cluster=cluster, timeout=3)
        version = client.info("server").get("redis_version", "?")
        client.close()
        return f"redis-server {version} {'cluster ' if cluster else ''}at {_safe_url(url)}"
    except redis.RedisError as err:
        return f"redis at {_safe_url(url)} (version not known yet: {err})"


def _on_sigterm(mode: str, log) -> None:
    """SIGTERM stops the server the way Ctrl-C does. Under eventlet the exit is thrown into
    the main greenlet (the WSGI server's), not into whichever handler was running when the
    signal came, which would log that handler's failure on the way out."""
    import signal

    if mode == "eventlet":
        import eventlet.hubs
        import greenlet

        main = greenlet.getcurrent()

        def _terminate(signum, _frame):
            log.info("signal %s: shutting down", signum)
            eventlet.hubs.get_hub().schedule_call_global(0, main.throw, SystemExit(0))
    else:
        def _terminate(signum, _frame):
            log.info("signal %s: shutting down", signum)
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)


def _agent(args) -> int:
    import logging
    import signal
    import stat
    import threading
    from pathlib import Path

    from hardware.agent import DeviceAgent, SettingsError

    _log_to_stderr(os.environ.get("QMS_LOG_LEVEL", "INFO"))
    log = logging.getLogger("qms.agent")
    if args.token_file:
        path = Path(args.token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            sys.stderr.write(f"qms agent: cannot read the token file: {err}\n")
            return 2
        if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s can be read by other users: chmod 600 it", path)
    else:
        token = os.environ.get("QMS_AGENT_TOKEN", "").strip()
    if not token:
        sys.stderr.write("qms agent: give this agent's token with --token-file FILE or $QMS_AGENT_TOKEN "
                         "(agents[].token in the server's config; qms init prints it)\n")
        return 2
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    spool = Path(args.spool) if args.spool else data_home / "qms-agent"
    agent = DeviceAgent(args.server, token, spool, ca_file=args.ca_file)
    done = threading.Event()

    def _stop(*_):
        done.set()
        agent.stop_event.set()  # also ends a wait for the first settings

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    try:
        agent.start()
    except SettingsError as err:
        log.error("agent not started: %s", err)
        return 2
    done.wait()
    agent.stop()
    return 0


def _archive(args) -> int:
    import logging
    import signal
    import socket
    import threading

    from .engine.keys import Keys
    from .history.archiver import Archiver
    from .history.webhooks import TIMEOUT_SECONDS, WebhookSender
    from .store.clients import blocking_client, plain_client

    config = _load(args.config, "archive")
    if args.nice:
        os.nice(args.nice)  # archiving can lag a moment; the counters and kiosks cannot
    # qms serve passes its embedded Redis's URL (with its password) in the environment, not argv.
    redis_url = args.redis_url or os.environ.get("QMS_ARCHIVER_REDIS_URL") or config.redis.url
    if not redis_url:
        sys.stderr.write("qms archive: needs redis.url (the embedded Redis belongs to one qms serve)\n")
        return 2
    _log_to_stderr(config.server.log_level)
    keys = {sid: Keys(config.redis.key_prefix, site) for sid, site in config.sites.items()}
    stopping = threading.Event()
    archiver = None

    def _stop(*_):
        stopping.set()
        if archiver is not None:
            archiver.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    sql = _open_archive_patiently(config.archive_url, stopping, logging.getLogger("qms.archive"))
    if sql is None:
        return 0
    archiver = Archiver(blocking_client(redis_url, cluster=config.redis.cluster), config, keys, sql,
                        consumer=args.consumer or socket.gethostname(),
                        stream_retention_seconds=config.archive.stream_hours * 3600)
    # The webhooks of the sites this archiver leads (one sender per site: their order holds).
    sender = WebhookSender(plain_client(redis_url, cluster=config.redis.cluster, timeout=10), archiver.config,
                           archiver.keys, sql, consumer=archiver.consumer, leads=archiver.leads)
    sending = threading.Thread(target=sender.run, name="webhooks", daemon=True)
    sending.start()
    if not stopping.is_set():
        archiver.run()
    sender.stop()
    sending.join(timeout=TIMEOUT_SECONDS + 1)
    return 0


def _province_report(args) -> int:
    import json
    from datetime import date, datetime

    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from .errors import BadRequest
    from .history.archive_schema import revisions
    from .history.province import province_report
    from .history.reports import period_of
    from .web.app import _safe_url

    config = _load(args.config, "province-report")
    _log_to_stderr(config.server.log_level)
    try:
        days = [date.fromisoformat(d) if d else None for d in (args.date, args.first, args.last)]
    except ValueError as err:
        sys.stderr.write(f"qms province-report: {err} (dates are YYYY-MM-DD)\n")
        return 2
    first_site = next(iter(config.sites.values()))
    on = days[0] or datetime.now(first_site.timezone).date()
    sql = create_engine(config.archive_url)
    try:
        current, head = revisions(sql)
        if current != head:
            sys.stderr.write(f"qms province-report: the archive is at revision {current}, not {head}: "
                             "run qms archive-db --upgrade (or start qms serve) first\n")
            return 1
        report = province_report(sql, config.sites.values(), period_of(args.period, on, days[1], days[2]), args.lang)
    except BadRequest as err:
        sys.stderr.write(f"qms province-report: {err.message}\n")
        return 2
    except SQLAlchemyError as err:
        sys.stderr.write(f"qms province-report: cannot use the archive at {_safe_url(config.archive_url)}: {err}\n")
        return 1
    finally:
        sql.dispose()
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def _people_store(config):
    """The live people of ``config``'s archive, with the version keys in its Redis (None: embedded)."""
    from .config.people import PeopleStore
    from .engine.keys import PROVINCE, Keys, ScopeKeys
    from .history.archive_schema import open_archive
    from .store.clients import plain_client

    sql = open_archive(config.archive_url)
    client = plain_client(config.redis.url, cluster=config.redis.cluster) if config.redis.url else None
    keys = {sid: Keys(config.redis.key_prefix, site).people_version for sid, site in config.sites.items()}
    keys[PROVINCE] = ScopeKeys(config.redis.key_prefix, PROVINCE).people_version
    store = PeopleStore(config, client, keys, lambda: sql)
    # A site a province admin added: its version key, as the servers have it.
    store.on_site.append(lambda site: keys.__setitem__(site.id, Keys(config.redis.key_prefix, site).people_version))
    return store, client


def _config_export(args) -> int:
    import yaml

    from .config import structure
    from .config.clients import KINDS
    from .config.people import officer_json

    config = _load(args.config, "config export")
    with open(args.config, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    store, _ = _people_store(config)
    live = store._stored()
    stored = {name: store._stored_settings(list(config.sites), name) for name in structure.SETTINGS}
    clients = store._stored_clients(list(config.sites))
    present = {site.get("id") for site in document.get("sites", [])}
    removed = store.removed_sites()   # (config.yaml may still list a site a province admin removed)
    document["sites"] = [site for site in [*document.get("sites", []),
                                           *(doc for doc in store.stored_sites(removed) if doc["id"] not in present)]
                         if site.get("id") not in removed]
    province_people = store._stored_province()
    if province_people is not None:
        document.setdefault("province", {})["users"] = province_people
    for site in document.get("sites", []):
        people = live.get(site.get("id"))
        if people is not None:   # else no live change yet: config.yaml's own
            site["officers"] = [{**{k: v for k, v in officer_json(o).items() if v or k == "name"},
                                 "password_hash": o.password_hash} for o in people.values()]
        _export_settings(site, stored)
        if site.get("id") in clients:   # tokens as their digests: a token made live was never kept
            for kind, attr in KINDS.items():
                site[attr] = [entry for k, entry in clients[site["id"]] if k == kind]
    text = ("# Exported by qms config export: config.yaml with each site's people as they are now.\n"
            + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _export_settings(site: dict, stored: dict[str, dict]) -> None:
    """A site's settings changed live, written into its config.yaml entry (each: as stored in
    ``site_settings``, by site; a site with none of a kind keeps config.yaml's)."""
    from .config import structure

    g = stored["general"].get(site.get("id"))
    if g is not None:   # names, calls listed, no-show restore, kiosk rate and PIN, priority ratio
        site.update({k: v for k, v in g.items() if k not in ("priority_ratio", "kiosk_pin_hash")})
        site.setdefault("priority", {})["ratio"] = g["priority_ratio"]
        site.pop("kiosk_pin_hash", None)
        if g.get("kiosk_pin_hash"):
            site["kiosk_pin_hash"] = g["kiosk_pin_hash"]
    h = stored["hours"].get(site.get("id"))
    if h is not None:
        site["opening_hours"] = "always" if h["always"] else {d: s for d, s in h["week"].items() if s}
        site["holidays"] = {"calendar": h["calendar"], "extra": h["extra"], "working_days": h["working_days"]}
    for name in ("fields", "counters", "devices", "webhooks"):
        if site.get("id") in stored[name]:
            site[name] = stored[name][site["id"]]
    if site.get("id") in stored["categories"]:
        site.setdefault("priority", {})["categories"] = stored["categories"][site["id"]]
    for name in ("ratings", *(b.name for b in structure.BLOCKS)):
        if site.get("id") in stored[name]:
            site[name] = stored[name][site["id"]]
    if site.get("id") in stored["procedures"]:   # inline: the file config.yaml named is as it was
        site["catalogue"] = stored["procedures"][site["id"]]


def _config_import(args) -> int:
    import getpass

    config = _load(args.config, "config import")
    incoming = _load(args.file, "config import")
    _log_to_stderr(config.server.log_level)
    store, client = _people_store(config)
    store.apply_stored()   # what is live now is what the file replaces (the sites added live among it)
    unknown = sorted(set(incoming.sites) - set(config.sites))
    if unknown:
        raise _Refused(f"qms config import: {args.file} has sites {', '.join(unknown)} that {args.config} has not: "
                       "sites are added in config.yaml or in /province/sites")
    who = f"cli:{getpass.getuser()}"
    from .config import structure
    from .config.clients import site_clients
    from .config.people import hours_json

    for site_id, site in incoming.sites.items():
        # Counters first: the people and devices name them.
        for kind, entries in ((structure.FIELDS, site.fields), (structure.COUNTERS, site.counters)):
            store.replace_listed(config.sites[site_id], who, kind, entries, source=os.path.basename(args.file))
        store.replace(config.sites[site_id], who, dict(site.officers), source=os.path.basename(args.file))
        store.set_hours(config.sites[site_id], who, hours_json(site.opening_hours))
        store.set_general(config.sites[site_id], who, structure.general_entry(site))
        if site.categories != config.sites[site_id].categories:   # (audited only when they differ)
            store.replace_listed(config.sites[site_id], who, structure.PRIORITIES, site.categories,
                                 source=os.path.basename(args.file))
        if site.webhooks != config.sites[site_id].webhooks:
            store.replace_listed(config.sites[site_id], who, structure.WEBHOOKS, site.webhooks,
                                 source=os.path.basename(args.file))
        if site.procedures != config.sites[site_id].procedures:
            store.replace_listed(config.sites[site_id], who, structure.PROCEDURES, site.procedures,
                                 source=os.path.basename(args.file))
        # (checked against the file's panels, imported below with them)
        store.set_ratings(config.sites[site_id], who, structure.ratings_entry(site.ratings), site.devices)
        # (the operator's file may name the SMS adapter; the administration's pages may not)
        for block in structure.BLOCKS:
            store.set_block(block, config.sites[site_id], who, block.entry(block.of(site)))
        present = site_clients(site)
        store.replace_devices(config.sites[site_id], who, present, source=os.path.basename(args.file))
        store.replace_listed(config.sites[site_id], who, structure.DEVICES, site.devices,
                             source=os.path.basename(args.file))
        sys.stdout.write(f"{site_id}: {len(site.counters)} counters, {len(site.officers)} people and "
                         f"{len(present)} devices imported, and the hours\n")
    if incoming.province.users or config.province.users:
        store.replace_province(who, list(incoming.province.users.values()), source=os.path.basename(args.file))
        sys.stdout.write(f"province: {len(incoming.province.users)} people imported\n")
    if client is None:
        sys.stdout.write("The embedded Redis belongs to qms serve: a running server takes these at its next start.\n")
    return 0


def _archive_db(args) -> int:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    from .history.archive_schema import FIRST_RELEASE, migrate, revisions
    from .web.app import _safe_url

    config = _load(args.config, "archive-db")
    _log_to_stderr(config.server.log_level)
    sql = create_engine(config.archive_url)
    try:
        if args.upgrade:
            migrate(sql)
        current, head = revisions(sql)
        tables = current is not None or inspect(sql).has_table("events")
    except SQLAlchemyError as err:
        sys.stderr.write(f"qms archive-db: cannot use the archive at {_safe_url(config.archive_url)}: {err}\n")
        return 1
    finally:
        sql.dispose()
    where = _safe_url(config.archive_url)
    if current == head:
        sys.stdout.write(f"{where}: up to date (revision {head})\n")
    else:
        have = current or (f"{FIRST_RELEASE}, the first release's, not yet stamped" if tables else "empty")
        sys.stdout.write(f"{where}: revision {have}; newest {head}: qms archive-db --upgrade "
                         "(or start qms serve) applies the rest\n")
    return 0


def _open_archive_patiently(url: str, stopping, log):
    """The archive database, waiting while it cannot be opened (a full disk, PostgreSQL not up
    yet): the events wait in Redis meanwhile. None if told to stop first."""
    from sqlalchemy.exc import OperationalError

    from .history.archive_schema import open_archive

    delay, said = 1.0, ""
    while not stopping.is_set():
        try:
            return open_archive(url)
        except OperationalError as err:
            reason = str(err.orig) if err.orig is not None else str(err)
            if reason != said:  # one line per new reason, not one per try
                log.warning("archive database cannot be opened (%s); retrying", reason)
                said = reason
            stopping.wait(delay)
            delay = min(delay * 2, 10.0)
    return None


def _simulate_panel(args) -> int:
    import time

    from hardware.simulators import AsciiPanelSimulator, Rs485PanelSimulator

    addresses = [int(a) for a in args.addresses.split(",") if a.strip()]
    sim = Rs485PanelSimulator(addresses, args.link) if args.model == "rs485" else AsciiPanelSimulator(args.link)
    sys.stdout.write(f"panel ({args.model}) on {sim.path}\n")
    sys.stdout.flush()

    def press(item: str) -> None:
        item = item.strip()
        if not item:
            return
        if isinstance(sim, Rs485PanelSimulator):
            address, _, key = item.partition(":")
            sim.press(int(address), key)
        else:
            sim.press(item)

    try:
        if args.press:
            time.sleep(1.0)  # give a reader time to open the port
            for item in args.press.split(","):
                press(item)
                time.sleep(0.3)
            while isinstance(sim, Rs485PanelSimulator) and sim.waiting():
                time.sleep(0.1)
            return 0
        sys.stdout.write("type a key (ascii) or address:key (rs485) and Enter; Ctrl-D to stop\n")
        sys.stdout.flush()
        for line in sys.stdin:
            press(line)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


def _simulate_printer(args) -> int:
    import time

    from hardware.simulators import VirtualNetworkPrinter

    printer = VirtualNetworkPrinter(port=args.port, out_dir=args.out)
    printer.paper_out = args.paper_out
    sys.stdout.write(f"virtual printer on {printer.url}, tickets saved in {args.out}/\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        printer.close()
    return 0


def _check_config(args) -> int:
    from .config import ConfigError, describe, load_config

    try:
        config = load_config(args.path)
    except ConfigError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    sys.stdout.write(f"{args.path}: OK\n")
    for site_id, counts in describe(config).items():
        sys.stdout.write(f"  {site_id}: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + "\n")
    from .config.demo_secrets import demo_secrets, is_loopback

    found = demo_secrets(config)
    if found:
        sys.stderr.write(f"warning: {len(found)} secret(s) are the demo's, published in the README: anyone could "
                         f"sign in with them. `qms serve` runs them only with --demo on 127.0.0.1. Replace them "
                         f"(qms hash-password; a random token: qms init makes them):\n")
        for secret in found:
            sys.stderr.write(f"  {secret.path} ({secret.kind})\n")
    if not is_loopback(config.server.host):
        sys.stdout.write(f"  listens on {config.server.host}:{config.server.port} (server.host): reachable from "
                         f"the network\n")
    _check_qr_address(config)
    return 0


def _check_qr_address(config) -> None:
    """Say where the tickets' QR codes lead, and warn when a phone could not open it."""
    from .web.public_address import qr_base, qr_warning

    server = config.server
    base = qr_base(server.public_url, f"http://localhost:{server.port}")
    source = "server.public_url" if server.public_url else "server.public_url is empty: this server's LAN address"
    sys.stdout.write(f"  QR codes on tickets lead to {base} ({source})\n")
    why = qr_warning(base, server.host, server.behind_proxy)
    if why == "loopback":
        sys.stderr.write(f"warning: the QR codes lead to {base}, which only this computer can open: set "
                         f"server.public_url to the address phones reach the server at\n")
    elif why == "listens_locally":
        sys.stderr.write(f"warning: server.host is {server.host}: phones cannot reach the server to open the QR "
                         f"codes; set server.host to its LAN address (or 0.0.0.0), or put it behind nginx\n")


def _init(args) -> int:
    import getpass
    import re
    from pathlib import Path

    from .config import ConfigError, load_config
    from .config.site_init import InitError, NewSite, check_password, check_pin, render, write

    def secret(prompt: str) -> str:
        if args.stdin:
            line = sys.stdin.readline()
            if not line:
                raise InitError(f"standard input ended before the {prompt}")
            return line.rstrip("\n")
        first = getpass.getpass(f"{prompt}: ")
        if getpass.getpass(f"{prompt} (nhập lại / again): ") != first:
            raise InitError(f"the two entries of the {prompt} differ")
        return first

    try:
        site_id = args.site or input("Mã đơn vị / site id (e.g. xa-an-binh): ").strip()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", site_id):
            raise InitError(f"site id {site_id!r}: lower-case letters, digits, '-' or '_'")
        name = args.name or input("Tên trung tâm / centre name: ").strip()
        if not name:
            raise InitError("the centre needs a name")
        if not 1 <= args.counters <= 200:
            raise InitError("--counters is 1 to 200")
        site = NewSite(site_id, name, args.counters, host=args.host, port=args.port, name_en=args.name_en)
        site.admin_password = secret("Mật khẩu quản trị / admin password")
        check_password("admin", site.admin_password)
        for user in site.officers:
            password = secret(f"Mật khẩu cán bộ / password of {user}")
            check_password(user, password)
            site.officer_passwords.append(password)
        site.kiosk_pin = secret("Mã PIN bảo trì ki-ốt / kiosk maintenance PIN (4-8 digits)")
        check_pin(site.kiosk_pin)
        text, tokens = render(site)
        path = Path(args.path)
        write(path, text, args.force)
    except InitError as err:
        sys.stderr.write(f"qms init: {err}; nothing written\n")
        return 2
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\nqms init: stopped; nothing written\n")
        return 2
    try:
        load_config(path)
    except ConfigError as err:  # a bug here, not the user's: say so plainly
        sys.stderr.write(f"qms init: the written file does not load ({err}); please report it\n")
        return 1
    base = f"http://{'<this-server>' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    sys.stdout.write(
        f"wrote {path} (readable by you only): site {site_id}, {args.counters} counter(s), officers "
        f"{', '.join(site.officers)} and admin.\n"
        f"Screens (each address carries its device's token: type it in, do not print it):\n"
        f"  kiosk:   {base}/kiosk/{site_id}#token={tokens['kiosk-1']}\n"
        f"  display: {base}/display/{site_id}#token={tokens['display-1']}\n"
        f"  device agent token (put it in the agent PC's token file): {tokens['agent-1']}\n"
        f"Next: edit the fields and counters, then: qms check-config {path} && qms serve --config {path}\n")
    return 0


def _tls(args) -> int:
    from .security.local_ca import TlsError, issue

    try:
        done = issue(args.dir, args.name, args.ip, days=args.days)
    except TlsError as err:
        sys.stderr.write(f"qms tls: {err}\n")
        return 2
    made = "made the hall's CA" if done.ca_created else "used the hall's CA"
    sys.stdout.write(
        f"{made}: {done.ca_cert} (its key {done.ca_cert.with_name('ca-key.pem')} stays here, mode 600)\n"
        f"certificate for {', '.join(done.names + done.addresses)} until {done.not_after:%Y-%m-%d}:\n"
        f"  ssl_certificate     {done.cert.resolve()};\n"
        f"  ssl_certificate_key {done.key.resolve()};\n"
        f"Install {done.ca_cert.name} on each kiosk, display and counter PC (docs/security.md, HTTPS), and give it "
        f"to device agents: qms agent --ca-file {done.ca_cert.name} ...\n")
    return 0


def _hash_password(args) -> int:
    import getpass

    from werkzeug.security import generate_password_hash

    from .config.password_policy import HASH_METHOD

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu / Password: ")
        if getpass.getpass("Nhập lại / Again: ") != password:
            sys.stderr.write("qms: the passwords differ\n")
            return 2
    if args.pin and not (password.isdigit() and 4 <= len(password) <= 8):
        sys.stderr.write("qms: a PIN is 4 to 8 digits\n")
        return 2
    if not args.pin and len(password) < 8:
        sys.stderr.write("qms: use at least 8 characters\n")
        return 2
    sys.stdout.write(generate_password_hash(password, method=HASH_METHOD) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
