"""The office roster secret, sealed to one registered booth's own key.

A booth's only registered key is its Ed25519 packet-signing key (:mod:`kiosk.keys`,
registered on the edge by ``rekam-edge booth register``). The edge seals the roster
secret to it as libsodium's ``crypto_box_seal`` does for an Ed25519 key: the public key
is mapped to its X25519 form (RFC 7748's birational map, ``u = (1 + y) / (1 − y)``), the
booth's private key to the X25519 scalar of its expanded seed (RFC 8032 §5.1.5); then
an ephemeral X25519 exchange, HKDF-SHA256 and AES-256-GCM (all from ``cryptography``),
bound to the booth id and the secret id. Only the booth holding that private key opens
it; a certificate alone (the TLS key is another key) opens nothing.

The same box carries a called ticket's resident to the booth that calls it
(:func:`seal_resident`): the NIK and KK of the resident's own check-in, whichever booth
took it, sealed by the edge to the calling booth's key under its own label and bound to
that booth, the ticket number and the check-in's request id (:func:`called_ticket_context`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ektp.errors import ValidationError
from ektp.i18n import N_

_P = 2**255 - 19
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
SEAL_LABEL = b"rekam/roster-secret-seal/v1"
CALLED_TICKET_LABEL = b"rekam/called-ticket-seal/v1"

MSG_NOT_FOR_THIS_BOOTH = N_("The office roster key is not sealed for this booth's key")
MSG_RESIDENT_NOT_OURS = N_("The called ticket's resident is not sealed for this booth")


class RosterSealError(ValidationError):
    code = "roster_seal"


@dataclass(frozen=True)
class SealedSecret:
    """What the wire carries for one booth (each field base64)."""

    ephemeral_public: str
    nonce: str
    ciphertext: str


def x25519_public_of(public: Ed25519PublicKey) -> X25519PublicKey:
    """The X25519 form of an Ed25519 public key (libsodium's ``ed25519_pk_to_curve25519``)."""
    raw = bytearray(public.public_bytes(*_RAW))
    raw[31] &= 0x7F  # the sign bit of x is not part of y
    y = int.from_bytes(raw, "little")
    if y >= _P:
        raise ValueError("not a valid Ed25519 public key")
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return X25519PublicKey.from_public_bytes(u.to_bytes(32, "little"))


def x25519_private_of(private: Ed25519PrivateKey) -> X25519PrivateKey:
    """The X25519 key of an Ed25519 key (libsodium's ``ed25519_sk_to_curve25519``)."""
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])


def _key(shared: bytes, ephemeral: bytes, recipient: bytes, info: bytes) -> bytes:
    hkdf = HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=info)
    return hkdf.derive(shared)


def seal_for_booth(
    secret: bytes, booth_key: Ed25519PublicKey, context: bytes, *, label: bytes = SEAL_LABEL
) -> SealedSecret:
    """``secret`` sealed so that only the holder of ``booth_key``'s private half opens it."""
    recipient = x25519_public_of(booth_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(*_RAW)
    recipient_raw = recipient.public_bytes(*_RAW)
    key = _key(ephemeral.exchange(recipient), ephemeral_raw, recipient_raw, label + context)
    nonce = secrets.token_bytes(12)
    ciphertext = AESGCM(key).encrypt(nonce, secret, context)
    return SealedSecret(_b64(ephemeral_raw), _b64(nonce), _b64(ciphertext))


def open_for_booth(
    sealed: SealedSecret, booth_key: Ed25519PrivateKey, context: bytes, *, label: bytes = SEAL_LABEL
) -> bytes:
    """The secret of :func:`seal_for_booth`; :class:`RosterSealError` when not ours."""
    private = x25519_private_of(booth_key)
    recipient_raw = private.public_key().public_bytes(*_RAW)
    try:
        ephemeral_raw = base64.b64decode(sealed.ephemeral_public, validate=True)
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        key = _key(shared, ephemeral_raw, recipient_raw, label + context)
        return AESGCM(key).decrypt(
            base64.b64decode(sealed.nonce, validate=True),
            base64.b64decode(sealed.ciphertext, validate=True),
            context,
        )
    except (InvalidTag, ValueError, binascii.Error) as err:
        raise RosterSealError(MSG_NOT_FOR_THIS_BOOTH, code="roster_seal.not_ours") from err


def called_ticket_context(booth_id: str, number: str, request_id: str) -> bytes:
    """What a called ticket's sealed resident is bound to: this booth, this ticket, this
    check-in (the request id is unique across days, so another day's ticket with the same
    number does not open it either)."""
    return f"{booth_id}|{number}|{request_id}".encode("ascii")


def seal_resident(nik: str, kk: str, booth_key: Ed25519PublicKey, context: bytes) -> SealedSecret:
    """A called ticket's NIK and KK, sealed to the calling booth's key (the edge's side)."""
    plain = json.dumps({"nik": nik, "kk": kk}, separators=(",", ":")).encode("ascii")
    return seal_for_booth(plain, booth_key, context, label=CALLED_TICKET_LABEL)


def open_resident(
    sealed: SealedSecret, booth_key: Ed25519PrivateKey, context: bytes
) -> tuple[str, str]:
    """The (NIK, KK) of :func:`seal_resident`; :class:`RosterSealError` when not ours."""
    try:
        plain = open_for_booth(sealed, booth_key, context, label=CALLED_TICKET_LABEL)
    except RosterSealError as err:
        raise RosterSealError(MSG_RESIDENT_NOT_OURS, code="called_ticket.not_ours") from err
    try:
        data = json.loads(plain)
        nik, kk = data["nik"], data["kk"]
    except (ValueError, KeyError, TypeError) as err:
        raise RosterSealError(MSG_RESIDENT_NOT_OURS, code="called_ticket.unreadable") from err
    if not isinstance(nik, str) or not isinstance(kk, str):
        raise RosterSealError(MSG_RESIDENT_NOT_OURS, code="called_ticket.unreadable")
    return nik, kk


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
