"""What central checks before it stores an item and signs a receipt.

* enrollment: the booth named in the manifest must be registered (a ``<booth_id>.pem``
  in ``booth_keys_dir``); :func:`ektp.packet.verify` checks size, canonical form,
  schema, the booth's signature and the ciphertext hashes; the manifest's packet id
  must be the upload's. A replaced booth's earlier keys are kept under ``retired/``
  (``<booth_id>.<key id>.json``: the key and when it was retired) and still verify
  the packets it sealed before then — the records recovered from the old unit.
* telemetry: a JSON object with an integer ``"v"`` (the edge's own reports; mutual
  TLS authenticates the edge).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ektp._json import JsonProblem, strict_loads
from ektp.packet import PacketError, VerifiedManifest, verify
from ektp.receipts import ItemKind

BOOTH_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CODE_UNKNOWN_BOOTH = "booth.unknown"
CODE_KEY_RETIRED = "booth.key_retired"
RETIRED_DIR = "retired"
CLOCK_SKEW = dt.timedelta(minutes=5)
"""A packet signed by a retired key may carry a seal time this much after the swap."""


class Rejection(Exception):
    """The item is refused. ``retryable``: the edge may send it again later (e.g. the
    booth is not registered yet); otherwise it is refused for good."""

    def __init__(self, code: str, *, retryable: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class BoothKeys:
    """Booth registrations read from a directory of ``<booth_id>.pem`` files."""

    directory: Path

    def get(self, booth_id: str) -> Ed25519PublicKey | None:
        if not BOOTH_ID_PATTERN.fullmatch(booth_id):
            return None
        path = self.directory / f"{booth_id}.pem"
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError):
            return None
        return key if isinstance(key, Ed25519PublicKey) else None

    def retired(self, booth_id: str) -> list[tuple[Ed25519PublicKey, dt.datetime]]:
        """The booth's earlier keys, each with when it was retired (unreadable ones skipped)."""
        if not BOOTH_ID_PATTERN.fullmatch(booth_id):
            return []
        keys = []
        for path in sorted((self.directory / RETIRED_DIR).glob(f"{booth_id}.*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                key = serialization.load_pem_public_key(entry["public_key_pem"].encode())
                retired_at = dt.datetime.fromisoformat(entry["retired_at"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            if isinstance(key, Ed25519PublicKey) and retired_at.tzinfo is not None:
                keys.append((key, retired_at))
        return keys


def claimed_booth_id(data: bytes) -> str | None:
    """The booth id the manifest claims (used only to find the key to check it with)."""
    try:
        envelope = json.loads(data)
        manifest = json.loads(base64.b64decode(envelope["manifest"], validate=True))
        booth_id = manifest["booth_id"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None
    return booth_id if isinstance(booth_id, str) else None


def check_item(
    kind: ItemKind, packet_id: str, data: bytes, booth_keys: BoothKeys, max_size: int
) -> str | None:
    """Raise :class:`Rejection`, or return the booth id (None for telemetry)."""
    if kind == "telemetry":
        try:
            value = strict_loads(data)
        except JsonProblem as err:
            raise Rejection("telemetry.malformed") from err
        if not isinstance(value, dict) or type(value.get("v")) is not int:
            raise Rejection("telemetry.schema")
        return None
    booth_id = claimed_booth_id(data)
    if booth_id is None:
        raise Rejection("packet.malformed")
    key = booth_keys.get(booth_id)
    if key is None:
        raise Rejection(CODE_UNKNOWN_BOOTH, retryable=True)
    try:
        verified = verify(data, booth_public_key=key, max_size=max_size, expected_booth_id=booth_id)
    except PacketError as err:
        verified = _verify_with_retired_key(data, booth_keys.retired(booth_id), err, max_size)
    if str(verified.packet_id) != packet_id:
        raise Rejection("packet.id_mismatch")
    return booth_id


def _verify_with_retired_key(
    data: bytes,
    retired: list[tuple[Ed25519PublicKey, dt.datetime]],
    refusal: PacketError,
    max_size: int,
) -> VerifiedManifest:
    """A packet the active key refuses may be the old unit's: try its retired keys."""
    if refusal.code != "packet.bad_signature":
        raise Rejection(refusal.code or "packet.rejected") from refusal
    for key, retired_at in retired:
        try:
            verified = verify(data, booth_public_key=key, max_size=max_size)
        except PacketError:
            continue
        if verified.manifest.sealed_at > retired_at + CLOCK_SKEW:
            raise Rejection(CODE_KEY_RETIRED)
        return verified
    raise Rejection(refusal.code) from refusal
