"""Where the ticket's QR code leads: never to this computer's own address, and a config that
would lead there is named by check-config."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from server.web.public_address import lan_address, qr_base, qr_warning

from ..hall import hall_document

ROOT = Path(__file__).resolve().parents[2]


def test_a_loopback_request_gets_the_lan_address_and_the_rest_is_kept():
    lan = lan_address()
    assert lan and not lan.startswith("127."), "this machine has no LAN address to put in QR codes"
    assert qr_base("", "http://localhost:8080/") == f"http://{lan}:8080"
    assert qr_base("", "https://127.0.0.1/") == f"https://{lan}"
    assert qr_base("", "http://192.168.1.10:8080/") == "http://192.168.1.10:8080"   # a screen on the LAN
    assert qr_base("https://qms.hall.local/", "http://localhost:8080/") == "https://qms.hall.local"
    assert qr_warning("http://127.0.0.1:8080", "0.0.0.0", False) == "loopback"
    assert qr_warning("http://192.168.1.10:8080", "127.0.0.1", False) == "listens_locally"
    assert qr_warning("https://qms.hall.local", "127.0.0.1", True) is None  # nginx in front


def test_check_config_warns_when_qr_codes_lead_to_loopback(tmp_path):
    doc = hall_document("qmsqr")
    doc["server"].update(host="0.0.0.0", public_url="http://127.0.0.1:8080")
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "server.cli", "check-config", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "QR codes on tickets lead to http://127.0.0.1:8080" in result.stdout
    assert "only this computer can open" in result.stderr and "server.public_url" in result.stderr
    doc["server"]["public_url"] = "http://192.168.1.10:8080"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    fine = subprocess.run([sys.executable, "-m", "server.cli", "check-config", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert fine.returncode == 0 and "QR" not in fine.stderr
