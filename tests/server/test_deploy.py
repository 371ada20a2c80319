"""The deployment samples: nginx in front of two `qms serve` processes (tested with the real
nginx), the systemd units and the production settings."""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from hardware.ordered_client import OrderedClient
from server.config import parse_config
from server.web.public_address import lan_address

from ..hall import AGENT_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..servers import ServerProcess, write_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Nginx:
    url: str           # https://127.0.0.1:<port>
    http_url: str      # the plain-HTTP listener, which only redirects
    ca: Path           # the hall's CA that signed nginx's certificate (qms tls)
    servers: list


@pytest.fixture
def behind_nginx(tmp_path, prefix, redis_url):
    """The sample nginx.conf as shipped, on free ports, with a certificate made by `qms tls`."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: apt-get install nginx-light (.ci/run does it)")
    tls = subprocess.run([sys.executable, "-m", "server.cli", "tls", "--dir", str(tmp_path / "tls"),
                          "--name", "localhost", "--ip", "127.0.0.1"], cwd=ROOT, capture_output=True, text=True)
    assert tls.returncode == 0, tls.stderr
    doc = hall_document(prefix)
    doc["server"]["behind_proxy"] = True
    path = write_config(tmp_path, doc, redis_url=redis_url)
    servers = [ServerProcess(path).wait_ready() for _ in range(2)]
    from server.store.embedded_redis import free_port

    http_port, https_port = free_port(), free_port()
    sample = (DEPLOY / "nginx.conf").read_text()
    upstreams = "\n".join(f"    server 127.0.0.1:{s.port} max_fails=2 fail_timeout=5s;" for s in servers)
    site = re.sub(r"    server 127\.0\.0\.1:808\d[^\n]*\n", "", sample).replace("    ip_hash;\n",
                                                                                  f"    ip_hash;\n{upstreams}\n")
    site = (site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("/etc/qms/tls/", f"{tmp_path}/tls/"))
    assert f"{tmp_path}/tls/server.pem" in site and f"{https_port} ssl" in site  # the sample's own lines
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{site}
}}
""")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stderr=subprocess.DEVNULL)
    nginx = Nginx(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", tmp_path / "tls" / "ca.pem",
                  servers)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if requests.get(nginx.url + "/api/v1/health", timeout=1, verify=str(nginx.ca)).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    yield nginx
    proc.terminate()
    proc.wait(timeout=10)
    for s in servers:
        s.stop()


def test_through_nginx_https_and_websockets_reach_every_server(behind_nginx):
    url, servers = behind_nginx.url, behind_nginx.servers
    updates, snapshots = [], []
    for transports in (["websocket"], ["polling"]):
        session = requests.Session()
        session.verify = str(behind_nginx.ca)  # the hall's CA, as a screen that has it installed
        session.trust_env = False  # else requests prefers $REQUESTS_CA_BUNDLE, set on some machines
        client = OrderedClient(reconnection=False, http_session=session)
        client.on("update", updates.append)
        client.on("snapshot", snapshots.append)
        client.connect(url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=transports, wait_timeout=10)
        r = session.post(url + "/api/v1/sites/hcc/tickets", json={"field": "TP"},
                         headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10)
        assert r.status_code == 201
        # The QR code's link is HTTPS, to nginx's port, on the server's LAN address (this request
        # came to 127.0.0.1, which no phone could open).
        link = urlsplit(r.json()["status_url"])
        assert (link.scheme, link.port) == ("https", urlsplit(url).port) and link.hostname == lan_address()
        # A call made directly on either server reaches the client behind nginx.
        for server in servers:
            token = requests.post(f"{server.url}/api/v1/sites/hcc/login", timeout=10,
                                  json={"username": "cb1", "password": PASSWORD, "counter": 1,
                                        "take_over": True}).json()["token"]
            requests.post(f"{server.url}/api/v1/sites/hcc/counters/1/call-next",
                          headers={"Authorization": f"Bearer {token}"}, json={"finish_current": False}, timeout=10)
            requests.post(f"{server.url}/api/v1/sites/hcc/counters/1/finish",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(u["type"] == "ticket.called" for u in updates) < 1:
            time.sleep(0.05)
        client.disconnect()
        assert snapshots and any(u["type"] == "ticket.called" for u in updates), transports
        updates.clear()


def test_nginx_serves_only_https_with_hsts_and_the_app_sets_secure_cookies(behind_nginx):
    url, ca = behind_nginx.url, str(behind_nginx.ca)
    plain = requests.get(behind_nginx.http_url + "/counter/hcc?lang=vi", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://127.0.0.1/counter/hcc?lang=vi"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url + "/api/v1/health", timeout=10)  # not a publicly trusted certificate: the CA is needed
    page = requests.get(url + "/counter/hcc", timeout=10, verify=ca)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]  # the app's headers pass through
    login = requests.post(url + "/api/v1/sites/hcc/login", json={"username": "cb2", "password": PASSWORD,
                                                                  "counter": 2}, timeout=10, verify=ca)
    assert login.status_code == 200 and "Secure" in login.headers["Set-Cookie"]
    # A device agent given the hall's CA (qms agent --ca-file) gets its settings over HTTPS.
    from hardware.agent import fetch_settings

    session = requests.Session()
    session.verify = ca
    assert fetch_settings(url, AGENT_TOKEN, session=session).agent == "agent-1"


def test_systemd_units_run_real_commands():
    for unit in ("qms@.service", "qms-agent@.service"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(DEPLOY / unit)
        exec_start = parser["Service"]["ExecStart"]
        command = exec_start.split()[1]
        assert command in ("serve", "agent")
        assert parser["Service"]["Restart"] == "always"
        for option in re.findall(r"(--[a-z-]+)", exec_start):
            help_text = subprocess.run([str(ROOT / ".venv" / "bin" / "qms") if (ROOT / ".venv").exists() else "qms",
                                        command, "--help"], capture_output=True, text=True).stdout
            assert option in help_text, (unit, option)


def test_production_settings_are_a_valid_config():
    demo = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    production = yaml.safe_load((DEPLOY / "config-production.yaml").read_text(encoding="utf-8"))
    demo.update(production)
    for site in demo["sites"]:
        site["catalogue"] = str(ROOT / site["catalogue"]) if "catalogue" in site else None
        if site["catalogue"] is None:
            site.pop("catalogue")
    config = parse_config(demo)
    assert config.server.behind_proxy and config.redis.url.startswith("redis://")
    assert config.archive_url.startswith("postgresql")
