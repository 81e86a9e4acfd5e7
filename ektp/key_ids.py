"""The short id of a public key that every side prints and compares.

First 16 bytes (hex) of SHA-256 of the raw public key: short, stable, printable. The
same rule names central's receipt key, a booth's packet-signing key and the recipient
key of a sealed packet, so an id shown by one tool can be looked up in another.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey


def raw_key_id(public_key: Ed25519PublicKey | X25519PublicKey) -> str:
    """First 16 bytes (hex) of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]
