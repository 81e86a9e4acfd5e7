"""The office PKI's files: the CA directory's layout and how secrets and certificates are written.

CA directory layout: ``ca.key`` (0600), ``ca.crt``, ``crl.pem`` (always present,
possibly empty, so the broker can use ``crlfile`` from day one), ``revoked.json``
and ``issued/<cn>-<serial>.crt`` (a record of every certificate signed).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

CA_KEY_FILE = "ca.key"
CA_CERT_FILE = "ca.crt"
CRL_FILE = "crl.pem"
REVOKED_FILE = "revoked.json"
ISSUED_DIR = "issued"


def write_private(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write a secret file created with mode 0600 (never briefly world-readable)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def write_public(path: Path, data: bytes) -> None:
    """Write a public file atomically (readers never see half a certificate or CRL)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def private_directory(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def pem_private_key(key: PrivateKeyTypes) -> bytes:
    """A private key as unencrypted PKCS#8 PEM (to write with :func:`write_private`)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def pem_public_key(key: PublicKeyTypes) -> bytes:
    """A public key as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
