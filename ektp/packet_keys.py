"""The content key of a sealed blob, wrapped for each recipient's X25519 key.

An ephemeral X25519 key agrees a secret with the recipient's public key, HKDF-SHA256
(salt: both public keys; info: the packet id) derives a key-encryption key, and AES-KW
(RFC 3394) wraps the content key. Recipients are named by :func:`public_key_id`.
"""

from __future__ import annotations

import uuid
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from ektp.key_ids import raw_key_id
from ektp.packet_models import Recipient, b64decode_exact, b64encode

WRAP_CONTEXT = b"rekam/packet/v1/key-wrap\x00"
SCHEME: Literal["X25519-HKDF-SHA256-AESKW"] = "X25519-HKDF-SHA256-AESKW"


def public_key_id(key: X25519PublicKey) -> str:
    """The recipient key id (:func:`ektp.key_ids.raw_key_id`)."""
    return raw_key_id(key)


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes, packet_id: uuid.UUID) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral + recipient,
        info=WRAP_CONTEXT + packet_id.bytes,
    )
    return hkdf.derive(shared)


def wrap_for(
    content_key: bytes,
    recipient_key: X25519PublicKey,
    role: Literal["central", "edge"],
    packet_id: uuid.UUID,
) -> Recipient:
    """``content_key`` wrapped for ``recipient_key`` (a fresh ephemeral key each time)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    kek = _kek(ephemeral.exchange(recipient_key), ephemeral_raw, _raw(recipient_key), packet_id)
    return Recipient(
        role=role,
        scheme=SCHEME,
        key_id=public_key_id(recipient_key),
        ephemeral_public_key=b64encode(ephemeral_raw),
        wrapped_key=b64encode(aes_key_wrap(kek, content_key)),
    )


def unwrap_for(recipient: Recipient, private_key: X25519PrivateKey, packet_id: uuid.UUID) -> bytes:
    """The content key wrapped in ``recipient`` (InvalidUnwrap or ValueError if it is not)."""
    ephemeral_raw = b64decode_exact(recipient.ephemeral_public_key, "ephemeral_public_key")
    ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
    own_public = _raw(private_key.public_key())
    kek = _kek(private_key.exchange(ephemeral), ephemeral_raw, own_public, packet_id)
    return aes_key_unwrap(kek, b64decode_exact(recipient.wrapped_key, "wrapped_key"))
