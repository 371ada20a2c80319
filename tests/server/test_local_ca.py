"""`qms tls`: the hall's own CA made once and kept, a certificate for nginx that it signs for
the names and LAN addresses the screens use, private keys readable by their owner only."""
from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from cryptography import x509

ROOT = Path(__file__).resolve().parents[2]


def qms_tls(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", "tls", "--dir", str(directory), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_the_hall_ca_is_made_once_and_signs_each_certificate(tmp_path):
    tls = tmp_path / "tls"
    first = qms_tls(tls, "--name", "qms.hall.local", "--ip", "192.168.1.10")
    assert first.returncode == 0 and "made the hall's CA" in first.stdout, first.stderr
    ca = (tls / "ca.pem").read_bytes()
    second = qms_tls(tls, "--name", "qms.hall.local", "--ip", "192.168.1.10", "--ip", "10.0.0.5")
    assert second.returncode == 0 and "used the hall's CA" in second.stdout
    assert (tls / "ca.pem").read_bytes() == ca  # the screens' installed CA still vouches
    cert = x509.load_pem_x509_certificate((tls / "server.pem").read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["qms.hall.local"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["192.168.1.10", "10.0.0.5"]
    for key in ("ca-key.pem", "server-key.pem"):
        assert stat.S_IMODE((tls / key).stat().st_mode) == 0o600, key
    openssl = subprocess.run(["openssl", "verify", "-CAfile", str(tls / "ca.pem"), str(tls / "server.pem")],
                             capture_output=True, text=True)
    assert openssl.returncode == 0, openssl.stdout + openssl.stderr


def test_nonsense_is_refused_and_nothing_is_made(tmp_path):
    for args, why in ((), "name the server"), (("--ip", "999.1.1.1"), "does not appear to be an IPv4"), \
            (("--name", "two words"), "is not a host name"):
        result = qms_tls(tmp_path / "tls", *args)
        assert result.returncode == 2 and why in result.stderr, (args, result.stderr)
    assert not (tmp_path / "tls" / "ca.pem").exists()
