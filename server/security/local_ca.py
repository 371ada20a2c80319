"""``qms tls``: HTTPS for a hall's LAN with no internet, from a certificate authority of the
hall's own.

A public CA cannot vouch for ``192.168.1.10`` or ``qms.hall.local``, and a hall may have no
internet to ask one. So the hall makes its own CA once (its key never leaves the server,
mode 600), installs the CA certificate on the hall's own screens (kiosk, displays, counter
PCs) and device agents, and signs nginx's certificate with it, for the names and LAN
addresses the screens use. Visitors' phones do not trust such a CA: see docs/security.md.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_YEARS = 10
SERVER_DAYS = 825   # what browsers accept for a certificate of a private CA


class TlsError(Exception):
    """What the person running ``qms tls`` must change."""


@dataclass
class Issued:
    ca_cert: Path
    ca_created: bool
    cert: Path
    key: Path
    names: list[str]
    addresses: list[str]
    not_after: dt.datetime


def _write(path: Path, data: bytes, private: bool) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _ca(directory: Path, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, bool]:
    """The hall's CA: loaded if it exists, made otherwise."""
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TlsError(f"{key_path} is not the elliptic-curve key qms tls makes: move ca.pem and ca-key.pem "
                           f"away to make a new CA")
        if cert.not_valid_after_utc < now:
            raise TlsError(f"the hall's CA in {directory} expired on {cert.not_valid_after_utc:%Y-%m-%d}: move "
                           f"ca.pem and ca-key.pem away to make a new one (and install it on the screens again)")
        return cert, key, False
    if cert_path.exists() or key_path.exists():
        raise TlsError(f"{directory} holds only half of a CA (ca.pem and ca-key.pem go together)")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "QMS-HCC"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"QMS hall CA ({socket.gethostname()})")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key, True


def issue(directory: str | Path, names: list[str], addresses: list[str], *, days: int = SERVER_DAYS) -> Issued:
    """A certificate for nginx, for ``names`` and ``addresses``, signed by the hall's CA."""
    directory = Path(directory)
    if not names and not addresses:
        raise TlsError("name the server as the screens reach it: --name qms.hall.local and/or --ip 192.168.1.10")
    try:
        ips = [ipaddress.ip_address(a) for a in addresses]
    except ValueError as err:
        raise TlsError(str(err)) from None
    for name in names:
        if not name or any(c.isspace() for c in name) or "/" in name:
            raise TlsError(f"{name!r} is not a host name")
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_cert, ca_key, created = _ca(directory, now)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "QMS-HCC"),
                         x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else str(ips[0]))])
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([*(x509.DNSName(n) for n in names),
                                                        *(x509.IPAddress(i) for i in ips)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = directory / "server.pem", directory / "server-key.pem"
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return Issued(directory / "ca.pem", created, cert_path, key_path, names, [str(i) for i in ips], not_after)
