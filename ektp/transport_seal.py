"""The transport envelope: a booth's message sealed for the edge on the office network.

A sealed packet (:mod:`ektp.packet`) is central's contract and travels byte for byte
as the booth signed it; its manifest names the resident (NIK, KK) in clear. So on
``booths/<id>/enrollments`` the booth wraps it in this envelope, and the broker's
persistence file, a capture, or anyone else holding a certificate that may read the
topic sees ciphertext. The edge opens it before its checks and keeps the packet as is.

Format (binary, all lengths fixed except the ciphertext)::

    magic  b"RKT"        3 bytes   (a packet starts with "{": never confused)
    version 0x01         1 byte
    secret id            8 bytes   which office roster secret sealed it
    message id          16 bytes   the packet's UUID (not secret: the acks name it)
    nonce               12 bytes   random
    ciphertext + tag     n + 16    AES-256-GCM of the payload

Key: HKDF-SHA256 of the **office roster secret** with the label
:data:`ektp.roster_keys.TRANSPORT_LABEL` (:meth:`RosterSecret.transport_key`) — the
secret that only the edge and registered booths hold (:mod:`ektp.roster_seal`).
Associated data: the header (magic to message id) and the booth id, so an envelope
opens only as that booth's that message; a flipped bit anywhere fails the tag.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.roster_keys import RosterSecret

MAGIC = b"RKT"
VERSION = 1
SECRET_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + 1 + SECRET_ID_BYTES + 16
OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
"""Bytes an envelope adds to its payload (56)."""

MSG_UNSEALED = N_("The message is not sealed for the office network")
MSG_VERSION = N_("Unknown transport envelope version {version}")
MSG_OLD_KEY = N_("The message is sealed with another office roster key")
MSG_UNREADABLE = N_("The sealed message does not open for this booth")


class TransportSealError(ValidationError):
    code = "transport.unreadable"


@dataclass(frozen=True)
class Opened:
    """An envelope's content: the message id it named and the payload."""

    message_id: uuid.UUID
    payload: bytes


class TransportKey:
    """One office roster secret's transport cipher (derive once, seal and open many)."""

    def __init__(self, secret: RosterSecret) -> None:
        self.secret_id = bytes.fromhex(secret.secret_id)
        self._cipher = AESGCM(secret.transport_key())

    def __repr__(self) -> str:  # never the key
        return f"TransportKey(secret_id={self.secret_id.hex()!r})"

    def seal(self, booth_id: str, message_id: uuid.UUID, payload: bytes) -> bytes:
        header = MAGIC + bytes([VERSION]) + self.secret_id + message_id.bytes
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._cipher.encrypt(nonce, payload, _associated(header, booth_id))
        return header + nonce + sealed

    def open(self, booth_id: str, envelope: bytes) -> Opened:
        """The content of :meth:`seal`'s envelope from ``booth_id``, or
        :class:`TransportSealError` (``transport.unsealed``, ``.version``, ``.old_key``,
        ``.unreadable``)."""
        header = read_header(envelope)
        if header[len(MAGIC) + 1 : len(MAGIC) + 1 + SECRET_ID_BYTES] != self.secret_id:
            raise TransportSealError(MSG_OLD_KEY, code="transport.old_key")
        body = memoryview(envelope)[HEADER_BYTES:]
        try:
            payload = self._cipher.decrypt(  # views: no copy of the ciphertext
                body[:NONCE_BYTES], body[NONCE_BYTES:], _associated(header, booth_id)
            )
        except InvalidTag as err:
            raise TransportSealError(MSG_UNREADABLE, code="transport.unreadable") from err
        return Opened(uuid.UUID(bytes=header[HEADER_BYTES - 16 :]), payload)


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` claims to be an envelope (its magic), of any version."""
    return bytes(data[: len(MAGIC)]) == MAGIC


def read_header(envelope: bytes) -> bytes:
    """The envelope's header, checked for magic, version and length."""
    if not is_sealed(envelope):
        raise TransportSealError(MSG_UNSEALED, code="transport.unsealed")
    if len(envelope) < OVERHEAD:
        raise TransportSealError(MSG_UNREADABLE, code="transport.unreadable")
    version = envelope[len(MAGIC)]
    if version != VERSION:
        raise TransportSealError(MSG_VERSION, code="transport.version", version=version)
    return bytes(envelope[:HEADER_BYTES])


def _associated(header: bytes, booth_id: str) -> bytes:
    return header + b"\x00" + booth_id.encode("utf-8")
