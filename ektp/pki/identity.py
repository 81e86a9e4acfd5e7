"""Who a certificate names: the naming rule of booth ids and certificate CNs, and the
errors of the office PKI.

The broker takes a client certificate's common name (CN) as the MQTT user name, so the
CN *is* the identity the ACL checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ektp.errors import RekamError
from ektp.i18n import N_

EDGE_IDENTITY = "edge"
"""The edge controller's certificate CN (its MQTT user name)."""

RESERVED_IDENTITIES = frozenset({EDGE_IDENTITY, "broker", "office", "admin", "root"})
IDENTITY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
IDENTITY_MAX_LENGTH = 32


class PkiError(RekamError):
    """Something about the office CA or a certificate is wrong."""

    code = "pki"


class InvalidIdentityError(PkiError, ValueError):
    """A booth id / certificate CN that breaks the naming rule."""

    code = "invalid_identity"


class CertificateRequestError(PkiError, ValueError):
    """A CSR that is malformed, badly signed, or names the wrong identity."""

    code = "bad_csr"


@dataclass(frozen=True)
class IssuedIdentity:
    """Where one identity's TLS files are (key, certificate, the office CA's certificate)."""

    identity: str
    key_path: Path
    cert_path: Path
    ca_cert_path: Path
    serial: int


def validate_identity(identity: str) -> str:
    """Return ``identity`` if it is a valid CN: lower-case letters, digits, single '-'."""
    if (
        not isinstance(identity, str)
        or len(identity) > IDENTITY_MAX_LENGTH
        or not IDENTITY_PATTERN.fullmatch(identity)
    ):
        raise InvalidIdentityError(
            N_("Identity {identity!r} must be lower-case letters, digits and '-', like booth-01"),
            identity=str(identity)[:40],
        )
    return identity


def validate_booth_id(booth_id: str) -> str:
    """Like :func:`validate_identity`, and not one of the reserved names (``edge``...)."""
    validate_identity(booth_id)
    if booth_id in RESERVED_IDENTITIES:
        raise InvalidIdentityError(
            N_("{identity!r} is reserved and cannot be a booth id"), identity=booth_id
        )
    return booth_id
