"""The edge's link to central: the ``[upstream]`` section of edge.toml.

``office init --central-url URL --central-ca PEM --central-receipt-key PEM`` copies
central's CA certificate and its receipt public key to ``edge/upstream/`` (so ``edge
install`` puts them in ``/etc/rekam/upstream``) and writes ``[upstream]``: the edge
forwards every committed packet to ``URL`` over mutual TLS with its own office
certificate (``tls/edge.crt``), trusts only central's CA, and marks a packet forwarded
only with a receipt signed by that key. The URL is kept in the inventory; a second run
without the two files keeps the copies made before. Without a URL the section stays
commented out in edge.toml (an office may be installed before central's details are known).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ektp.i18n import N_
from ektp.pki import EDGE_IDENTITY
from provisioning.errors import OfficeError

UPSTREAM_DIR = "upstream"
CENTRAL_CA_FILE = "central-ca.crt"
RECEIPT_KEY_FILE = "central-receipt.pub.pem"

MSG_NO_CENTRAL_FILES = N_(
    "--central-url needs central's CA certificate (--central-ca) and its receipt public key "
    "(--central-receipt-key); {missing} is not in the office directory yet."
)

Write = Callable[[Path, str], bool]


def sync_upstream_files(
    edge_dir: Path, central_ca: Path | None, receipt_key: Path | None, write: Write
) -> bool:
    """Copy the given files into ``edge/upstream``; True if one changed. Both must be there
    afterwards (given now or on an earlier run)."""
    changed = False
    for source, name in ((central_ca, CENTRAL_CA_FILE), (receipt_key, RECEIPT_KEY_FILE)):
        target = edge_dir / UPSTREAM_DIR / name
        if source is not None:
            changed |= write(target, source.read_text(encoding="ascii"))
        if not target.exists():
            raise OfficeError(MSG_NO_CENTRAL_FILES, missing=str(target))
    return changed


def edge_upstream_settings(central_url: str, edge_etc: Path) -> dict[str, Any]:
    """The ``[upstream]`` table of edge.toml for ``central_url``, paths as on the edge."""
    tls, upstream = edge_etc / "tls", edge_etc / UPSTREAM_DIR
    return {
        "central_url": central_url,
        "ca_cert_path": str(upstream / CENTRAL_CA_FILE),
        "cert_path": str(tls / f"{EDGE_IDENTITY}.crt"),
        "key_path": str(tls / f"{EDGE_IDENTITY}.key"),
        "receipt_public_key_path": str(upstream / RECEIPT_KEY_FILE),
    }
