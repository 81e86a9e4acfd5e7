"""Central's signed receipt: proof that a packet reached central's store.

The receipt body is canonical JSON (sorted keys, no spaces)::

    {"central_key_id": "<hex>", "kind": "enrollment", "packet_id": "<uuid>",
     "received_at": "2026-03-10T01:23:45.123456+00:00", "sha256": "<hex>",
     "size": 61234, "v": 1}

and the signature is Ed25519 by central's receipt key over
``b"rekam/central/v1/receipt\\0" + body``. On the wire (the ``Rekam-Receipt``
header, and ``GET /receipts/<id>``) it travels as ``<base64 body>.<base64 signature>``.

Both sides import this module (it belongs to the wire contract): central signs, the
edge verifies and keeps the receipt.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ektp._json import JsonProblem, canonical_json, strict_loads
from ektp.errors import RekamError
from ektp.key_ids import raw_key_id
from ektp.pki.files import pem_private_key, pem_public_key, write_private

RECEIPT_VERSION = 1
RECEIPT_CONTEXT = b"rekam/central/v1/receipt\x00"
RECEIPT_HEADER = "Rekam-Receipt"
ItemKind = Literal["enrollment", "telemetry"]
ITEM_KINDS: tuple[ItemKind, ...] = ("enrollment", "telemetry")
_FIELDS = frozenset({"v", "packet_id", "kind", "sha256", "size", "received_at", "central_key_id"})


class ReceiptError(RekamError, ValueError):
    """A receipt that does not parse, does not match its packet, or is not central's."""

    code = "receipt"


def receipt_key_id(public_key: Ed25519PublicKey) -> str:
    """The id of central's receipt key (:func:`ektp.key_ids.raw_key_id`)."""
    return raw_key_id(public_key)


@dataclass(frozen=True)
class Receipt:
    """What central attests: this packet id, with these bytes, was stored at this time."""

    packet_id: str
    kind: ItemKind
    sha256: str
    size: int
    received_at: dt.datetime
    central_key_id: str

    def body(self) -> bytes:
        return canonical_json(
            {
                "v": RECEIPT_VERSION,
                "packet_id": self.packet_id,
                "kind": self.kind,
                "sha256": self.sha256,
                "size": self.size,
                "received_at": self.received_at.astimezone(dt.UTC).isoformat(),
                "central_key_id": self.central_key_id,
            }
        )


@dataclass(frozen=True)
class SignedReceipt:
    """A receipt's exact body bytes and central's signature over them."""

    receipt: Receipt
    body: bytes
    signature: bytes

    def wire(self) -> str:
        """``<base64 body>.<base64 signature>`` (the header value)."""
        return to_wire(self.body, self.signature)


def to_wire(body: bytes, signature: bytes) -> str:
    """``<base64 body>.<base64 signature>``."""
    return base64.b64encode(body).decode("ascii") + "." + base64.b64encode(signature).decode()


def sign_receipt(receipt: Receipt, key: Ed25519PrivateKey) -> SignedReceipt:
    body = receipt.body()
    return SignedReceipt(receipt, body, key.sign(RECEIPT_CONTEXT + body))


def _parse_body(body: bytes) -> Receipt:
    try:
        raw = strict_loads(body)
    except JsonProblem as err:
        raise ReceiptError("the receipt is not JSON") from err
    if not isinstance(raw, dict) or set(raw) != _FIELDS or raw["v"] != RECEIPT_VERSION:
        raise ReceiptError("the receipt does not have the receipt fields")
    if canonical_json(raw) != body:
        raise ReceiptError("the receipt is not canonical")
    try:
        receipt = Receipt(
            packet_id=str(uuid.UUID(str(raw["packet_id"]))),
            kind=raw["kind"],
            sha256=str(raw["sha256"]),
            size=int(raw["size"]),
            received_at=dt.datetime.fromisoformat(str(raw["received_at"])),
            central_key_id=str(raw["central_key_id"]),
        )
    except (ValueError, TypeError) as err:
        raise ReceiptError("a receipt field is malformed") from err
    if receipt.kind not in ITEM_KINDS or receipt.received_at.tzinfo is None:
        raise ReceiptError("a receipt field is malformed")
    return receipt


def parse_wire(text: str) -> tuple[bytes, bytes]:
    """Split ``<base64 body>.<base64 signature>`` into bytes (no checks beyond base64)."""
    try:
        body_text, signature_text = text.strip().split(".")
        return (
            base64.b64decode(body_text, validate=True),
            base64.b64decode(signature_text, validate=True),
        )
    except (ValueError, binascii.Error) as err:
        raise ReceiptError("the receipt is not <base64>.<base64>") from err


def verify_receipt(
    body: bytes,
    signature: bytes,
    public_key: Ed25519PublicKey,
    *,
    packet_id: str,
    sha256: str,
    size: int,
    kind: ItemKind,
) -> SignedReceipt:
    """Check central's signature and that the receipt names exactly this packet."""
    try:
        public_key.verify(signature, RECEIPT_CONTEXT + body)
    except InvalidSignature as err:
        raise ReceiptError("the receipt signature is not central's") from err
    receipt = _parse_body(body)
    if receipt.central_key_id != receipt_key_id(public_key):
        raise ReceiptError("the receipt names another central key")
    if (receipt.packet_id, receipt.sha256, receipt.size, receipt.kind) != (
        str(uuid.UUID(packet_id)),
        sha256,
        size,
        kind,
    ):
        raise ReceiptError("the receipt is for other bytes than the packet sent")
    return SignedReceipt(receipt, body, signature)


def load_receipt_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ReceiptError("the receipt public key is not an Ed25519 key")
    return key


def load_receipt_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ReceiptError("the receipt key is not an Ed25519 key")
    return key


def create_receipt_key(key_path: Path, public_path: Path) -> Ed25519PrivateKey:
    """Central's receipt key, made once: the private key in ``key_path`` (mode 0600;
    FileExistsError rather than replace one) and its public key, for every edge, in
    ``public_path``."""
    key = Ed25519PrivateKey.generate()
    write_private(key_path, pem_private_key(key))
    public_path.write_bytes(pem_public_key(key.public_key()))
    return key
