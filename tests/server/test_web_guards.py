"""Every response tells the browser to run only the server's own scripts, never to be framed,
sniffed or to leak its address; forwarded headers are believed from the configured proxy
only, so cookies are Secure behind nginx's HTTPS and a LAN client cannot fake it."""
from __future__ import annotations

import re

import pytest

from server.config import parse_config

from ..hall import DISPLAY_TOKEN, PASSWORD, hall_document

PAGES = ["/", "/kiosk/hcc", "/counter/hcc", "/display/hcc", "/admin/hcc", "/admin/hcc/reports", "/t/hcc/{token}"]


def check_headers(response, what):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", (what, csp)       # no inline script, nothing from elsewhere
    assert directives.get("frame-ancestors") == "'none'", (what, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp, (what, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "no-referrer", what
    assert response.headers.get("X-Frame-Options") == "DENY", what


def test_every_kind_of_response_carries_the_security_headers(api, client):
    ticket = api.issue("TP")
    responses = {path: client.get(path.format(token=ticket["token"])) for path in PAGES}
    responses.update({
        "static script": client.get("/static/js/qms.js"),
        "screen script": client.get("/kiosk/static/kiosk.js"),
        "voice clip": client.get("/display/voice/vi/chime.wav"),
        "API JSON": api.get("/state", DISPLAY_TOKEN),
        "API refusal": api.get("/state"),
        "no such page": client.get("/no-such-page"),
        "QR code": client.get(f"/api/v1/sites/hcc/t/{ticket['token']}/qr.svg"),
        "Socket.IO handshake": client.get("/socket.io/?EIO=4&transport=polling"),
    })
    for what, response in responses.items():
        assert response.status_code < 500, (what, response.status_code)
        check_headers(response, what)


def test_no_page_holds_a_script_to_run_inline(api, client):
    ticket = api.issue("TP")
    for path in PAGES:
        html = client.get(path.format(token=ticket["token"])).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no onclick= and the like
        assert not re.search(r"<[a-z][^>]*\sstyle\s*=", html), path


@pytest.fixture
def config(prefix):
    doc = hall_document(prefix)
    doc["server"]["behind_proxy"] = True  # nginx on this machine, the default proxy address
    return parse_config(doc)


def login(client, remote_addr, forwarded_proto):
    return client.post("/api/v1/sites/hcc/login", json={"username": "cb1", "password": PASSWORD, "counter": 1},
                       headers={"X-Forwarded-Proto": forwarded_proto, "X-Forwarded-For": "192.168.1.23"},
                       environ_base={"REMOTE_ADDR": remote_addr})


def test_behind_nginx_over_https_the_session_cookie_is_secure(client):
    r = login(client, "127.0.0.1", "https")
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "qms_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_lan_client_cannot_claim_https_or_another_address(client):
    r = login(client, "192.168.1.77", "https")  # straight to the app, not through nginx
    assert r.status_code == 200
    assert "Secure" not in r.headers["Set-Cookie"]
    # A guesser writing a new X-Forwarded-For each time is still counted under its own address.
    answers = [client.post("/api/v1/sites/hcc/login", json={"username": "cb2", "password": f"guess-{n}", "counter": 2},
                           headers={"X-Forwarded-For": f"10.0.0.{n}"},
                           environ_base={"REMOTE_ADDR": "192.168.1.77"}).status_code for n in range(8)]
    assert 429 in answers, answers


def test_a_proxy_address_that_is_not_an_address_is_refused(prefix):
    from server.config import ConfigError

    doc = hall_document(prefix)
    doc["server"].update(behind_proxy=True, proxy_addresses=["127.0.0.1", "nginx.local"])
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert "server.proxy_addresses[1]: 'nginx.local' is not an IP address" in str(err.value)
