"""The edge's server certificates from the office CA: the broker's and the dashboard's.

Both carry the names booths and office PCs use for the edge (``office init
--edge-host``, plus any extra names), so a TLS client that trusts the office CA checks
them without a warning. A certificate is issued again only when a wanted name is
missing from it, so a second ``office init`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from ektp.pki import OfficeCA

BROKER_CERT_NAME = "broker"
DASHBOARD_CERT_NAME = "dashboard"
"""``edge/tls/dashboard.crt`` and ``.key``: the dashboard's HTTPS (``[web] tls_*_path``)."""


def certificate_names(cert_path: Path) -> tuple[set[str], set[str]]:
    """(DNS names, IP addresses) in a certificate's subjectAltName."""
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return (
        set(san.get_values_for_type(x509.DNSName)),
        {str(ip) for ip in san.get_values_for_type(x509.IPAddress)},
    )


def ensure_server_certificate(
    ca: OfficeCA,
    tls: Path,
    common_name: str,
    dns_names: Sequence[str],
    ip_addresses: Sequence[str],
) -> bool:
    """``tls/<common_name>.crt`` for these names (issued if missing or short of one)."""
    cert = tls / f"{common_name}.crt"
    wanted = set(dns_names), set(ip_addresses)
    if cert.exists() and (tls / f"{common_name}.key").exists():
        present = certificate_names(cert)
        if all(need <= have for need, have in zip(wanted, present, strict=True)):
            return False
    ca.issue_server_certificate(
        tls, common_name=common_name, dns_names=dns_names, ip_addresses=ip_addresses
    )
    return True
