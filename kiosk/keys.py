"""The booth's signing key: made on the booth on first start, kept 0600, never sent anywhere."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from ektp.atomic_file import write_atomically
from ektp.pki.files import pem_private_key, pem_public_key, private_directory


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The booth's Ed25519 packet-signing key, created atomically the first time."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    private_directory(path.parent)
    key = Ed25519PrivateKey.generate()
    write_atomically(path, pem_private_key(key), mode=0o600)
    return key


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    """What the booth may share: its public key, for the edge to verify packets."""
    return pem_public_key(key.public_key())


def load_booth_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def load_central_public_key(path: Path) -> X25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{path} is not an X25519 public key")
    return key
