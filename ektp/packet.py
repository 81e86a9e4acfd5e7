"""Sealing: the packet a booth commits to its outbox and sends to the edge.

Envelope (canonical JSON, ``"v": 1``)::

    {"blobs": {"biometrics": "<base64 ciphertext>"},
     "manifest": "<base64 of the manifest's canonical JSON>",
     "signature": "<base64 Ed25519 signature>",
     "v": 1}

* The parts (photo JPEG, ten templates, signature image, document scans) are packed
  (:func:`ektp.packet_models.encode_parts`) and encrypted with a fresh AES-256-GCM key;
  the associated data binds the ciphertext to the packet id.
* The content key is wrapped per recipient: an ephemeral X25519 key agrees a secret with
  the recipient's public key, HKDF-SHA256 (salt: both public keys; info: the packet id)
  derives a key-encryption key, and AES-KW (RFC 3394) wraps the content key. Recipients
  are a list, and ``blobs`` a map, so a second blob (a thumbnail sealed for the edge's
  own key) fits in v1 without changing the shape.
* The manifest (:class:`~ektp.packet_models.PacketManifest`) holds the record, the
  SHA-256 and size of every part and of each ciphertext, and the recipients; the booth
  signs its exact bytes with Ed25519. Everything in the envelope is therefore covered:
  the manifest and signature directly, the blobs through their hashes, and the envelope
  itself by the canonical-form check (:mod:`ektp.packet_canonical`), so any flipped bit
  is rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pydantic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from ektp._json import JsonProblem, canonical_json, strict_loads
from ektp.ed25519_check import signature_matches
from ektp.i18n import N_
from ektp.packet_canonical import quick_manifest, read_canonical_envelope
from ektp.packet_keys import public_key_id, unwrap_for, wrap_for
from ektp.packet_models import (
    BIOMETRICS_BLOB,
    PACKET_VERSION,
    THUMBNAIL_BLOB,
    Biometrics,
    PacketError,
    PacketManifest,
    PartDigest,
    SealedBlob,
    b64decode_exact,
    b64encode,
    check_parts,
    decode_parts,
    encode_parts,
)
from ektp.record import EnrollmentRecord

DEFAULT_MAX_PACKET_BYTES = 8 * 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024
_ENVELOPE_KEYS = frozenset({"v", "manifest", "signature", "blobs"})
_SIGNATURE_CONTEXT = b"rekam/packet/v1/manifest\x00"
_CONTENT_CONTEXT = b"rekam/packet/v1/content\x00"
_THUMBNAIL_CONTEXT = b"rekam/packet/v1/thumbnail\x00"
MAX_THUMBNAIL_BYTES = 64 * 1024
THUMBNAIL_PART = "thumbnail"
_BLOB_CONTEXTS = {BIOMETRICS_BLOB: _CONTENT_CONTEXT, THUMBNAIL_BLOB: _THUMBNAIL_CONTEXT}


@dataclass(frozen=True)
class SealedPacket:
    """A sealed packet: its canonical bytes and the manifest they carry."""

    packet_id: uuid.UUID
    data: bytes
    manifest: PacketManifest

    def __bytes__(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class VerifiedManifest:
    """A manifest whose signature, schema and ciphertext hashes were checked."""

    manifest: PacketManifest
    packet_sha256: str  # of the whole packet bytes
    manifest_json: bytes = b""  # the manifest exactly as the booth signed it (JSON)

    @property
    def packet_id(self) -> uuid.UUID:
        return self.manifest.packet_id

    @property
    def booth_id(self) -> str:
        return self.manifest.booth_id

    @property
    def record(self) -> EnrollmentRecord:
        return self.manifest.record


def _seal_blob(
    plaintext: bytes,
    context: bytes,
    recipient: tuple[X25519PublicKey, Literal["central", "edge"]],
    packet_id: uuid.UUID,
) -> tuple[SealedBlob, bytes]:
    """Encrypt with a fresh AES-256-GCM key wrapped for one recipient."""
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(content_key).encrypt(nonce, plaintext, context + packet_id.bytes)
    blob = SealedBlob(
        cipher="AES-256-GCM",
        nonce=b64encode(nonce),
        size=len(ciphertext),
        sha256=hashlib.sha256(ciphertext).hexdigest(),
        recipients=(wrap_for(content_key, recipient[0], recipient[1], packet_id),),
    )
    return blob, ciphertext


def seal(
    record: EnrollmentRecord | Mapping[str, Any],
    biometrics: Mapping[str, bytes],
    *,
    booth_id: str,
    booth_signing_key: Ed25519PrivateKey,
    central_public_key: X25519PublicKey,
    packet_id: uuid.UUID | None = None,
    sealed_at: dt.datetime | None = None,
    max_size: int = DEFAULT_MAX_PACKET_BYTES,
    edge_public_key: X25519PublicKey | None = None,
    thumbnail: bytes | None = None,
) -> SealedPacket:
    """Encrypt ``biometrics`` for central and sign the manifest with the booth key.

    ``biometrics`` maps part names (``photo``, ``signature``, ``template.<finger>``, see
    :mod:`ektp.packet_models`) to bytes. With ``edge_public_key`` and ``thumbnail`` (a
    small JPEG of the photo, at most :data:`MAX_THUMBNAIL_BYTES`), the thumbnail is
    sealed as a second blob for the edge's review key *only*: the supervisor sees the
    face, never the templates. Raises ``ValueError`` when the record belongs to another
    booth, a part name is invalid, only one of the thumbnail pair is given, or the
    packet would exceed ``max_size``.
    """
    record = EnrollmentRecord.model_validate(record)
    if record.booth_id != booth_id:
        raise ValueError("the record was captured on another booth")
    check_parts(biometrics, max_size)
    if (edge_public_key is None) != (thumbnail is None):
        raise ValueError("a thumbnail needs the edge key, and the edge key a thumbnail")
    if thumbnail is not None and len(thumbnail) > MAX_THUMBNAIL_BYTES:
        raise ValueError(f"the thumbnail exceeds {MAX_THUMBNAIL_BYTES} bytes")
    packet_id = packet_id or uuid.uuid4()
    parts = {name: bytes(data) for name, data in biometrics.items()}

    blob, ciphertext = _seal_blob(
        encode_parts(parts), _CONTENT_CONTEXT, (central_public_key, "central"), packet_id
    )
    blobs = {BIOMETRICS_BLOB: blob}
    ciphertexts = {BIOMETRICS_BLOB: ciphertext}
    if edge_public_key is not None and thumbnail is not None:
        blobs[THUMBNAIL_BLOB], ciphertexts[THUMBNAIL_BLOB] = _seal_blob(
            encode_parts({THUMBNAIL_PART: bytes(thumbnail)}),
            _THUMBNAIL_CONTEXT,
            (edge_public_key, "edge"),
            packet_id,
        )
    manifest = PacketManifest(
        v=PACKET_VERSION,
        packet_id=packet_id,
        booth_id=booth_id,
        sealed_at=sealed_at or dt.datetime.now(dt.UTC),
        record=record,
        parts={
            name: PartDigest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            for name, data in parts.items()
        },
        blobs=blobs,
    )
    manifest_bytes = canonical_json(manifest.model_dump(mode="json"))
    signature = booth_signing_key.sign(_SIGNATURE_CONTEXT + manifest_bytes)
    data = canonical_json(
        {
            "v": PACKET_VERSION,
            "manifest": b64encode(manifest_bytes),
            "signature": b64encode(signature),
            "blobs": {name: b64encode(text) for name, text in ciphertexts.items()},
        }
    )
    if len(data) > max_size:
        raise ValueError("the sealed packet exceeds the packet size limit")
    return SealedPacket(packet_id=packet_id, data=data, manifest=manifest)


@dataclass(frozen=True)
class _Envelope:
    manifest_bytes: bytes
    signature: bytes
    blobs: dict[str, bytes]


MSG_OVERSIZE = N_("The packet is too big ({size} bytes; the limit is {limit})")
MSG_TRUNCATED = N_("The packet is cut short")
MSG_MALFORMED = N_("The packet is not well-formed JSON")
MSG_NOT_CANONICAL = N_("The packet is not in canonical form")
MSG_SCHEMA = N_("The packet does not match the packet schema")
MSG_VERSION = N_("Unknown packet format version {version}")
MSG_MANIFEST_SIZE = N_("The packet manifest is too big")
MSG_SIGNATURE = N_("The packet signature does not match the booth's key")
MSG_MANIFEST_SCHEMA = N_("The packet manifest does not match the schema: {detail}")
MSG_CIPHERTEXT = N_("The encrypted content does not match the hash in the manifest")
MSG_BOOTH = N_("The packet comes from {packet_booth}, not from {expected_booth}")
MSG_NO_RECIPIENT = N_("The packet is not sealed for this key")
MSG_DECRYPT = N_("The sealed content cannot be decrypted")
MSG_PART_HASH = N_("A biometric part does not match the hash in the manifest: {part}")


def _read_envelope(packet_bytes: bytes, max_size: int) -> _Envelope:
    if len(packet_bytes) > max_size:
        raise PacketError(
            MSG_OVERSIZE, code="packet.oversize", size=len(packet_bytes), limit=max_size
        )
    canonical = read_canonical_envelope(bytes(packet_bytes), MAX_MANIFEST_BYTES)
    if canonical is not None:  # the usual case; any other bytes get the full reading
        return _Envelope(*canonical)
    try:
        envelope = strict_loads(packet_bytes)
    except JsonProblem as err:
        if err.kind == "truncated":
            raise PacketError(MSG_TRUNCATED, code="packet.truncated") from err
        raise PacketError(MSG_MALFORMED, code="packet.malformed") from err
    if not isinstance(envelope, dict):
        raise PacketError(MSG_SCHEMA, code="packet.schema")
    version = envelope.get("v")
    if type(version) is not int or version != PACKET_VERSION:
        raise PacketError(MSG_VERSION, code="packet.unknown_version", version=repr(version)[:20])
    blobs = envelope.get("blobs")
    if (
        set(envelope) != _ENVELOPE_KEYS
        or not isinstance(blobs, dict)
        or not 1 <= len(blobs) <= 4
        or not all(isinstance(value, str) for value in blobs.values())
    ):
        raise PacketError(MSG_SCHEMA, code="packet.schema")
    if canonical_json(envelope) != bytes(packet_bytes):
        raise PacketError(MSG_NOT_CANONICAL, code="packet.not_canonical")
    manifest_bytes = b64decode_exact(envelope["manifest"], "manifest")
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise PacketError(MSG_MANIFEST_SIZE, code="packet.manifest_size")
    return _Envelope(
        manifest_bytes=manifest_bytes,
        signature=b64decode_exact(envelope["signature"], "signature"),
        blobs={name: b64decode_exact(text, f"blobs.{name}") for name, text in blobs.items()},
    )


def _parse_manifest(envelope: _Envelope) -> PacketManifest:
    manifest = quick_manifest(envelope.manifest_bytes)  # the usual case
    if manifest is None:  # anything else is read in full, for its exact refusal
        manifest = _parse_manifest_fully(envelope)
    if set(manifest.blobs) != set(envelope.blobs):
        raise PacketError(MSG_MANIFEST_SCHEMA, code="packet.manifest_schema", detail="blobs")
    for name, ciphertext in envelope.blobs.items():
        described = manifest.blobs[name]
        if (
            len(ciphertext) != described.size
            or hashlib.sha256(ciphertext).hexdigest() != described.sha256
        ):
            raise PacketError(MSG_CIPHERTEXT, code="packet.ciphertext_hash")
    return manifest


def _parse_manifest_fully(envelope: _Envelope) -> PacketManifest:
    try:
        raw = strict_loads(envelope.manifest_bytes)
    except JsonProblem as err:
        raise PacketError(
            MSG_MANIFEST_SCHEMA, code="packet.manifest_schema", detail="JSON"
        ) from err
    if isinstance(raw, dict) and raw.get("v") != PACKET_VERSION:
        raise PacketError(
            MSG_VERSION, code="packet.unknown_version", version=repr(raw.get("v"))[:20]
        )
    try:
        manifest = PacketManifest.model_validate(raw)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        detail = ".".join(str(item) for item in first["loc"]) or first["msg"]
        raise PacketError(
            MSG_MANIFEST_SCHEMA, code="packet.manifest_schema", detail=detail[:80]
        ) from err
    return manifest


def verify(
    packet_bytes: bytes,
    *,
    booth_public_key: Ed25519PublicKey,
    max_size: int = DEFAULT_MAX_PACKET_BYTES,
    expected_booth_id: str | None = None,
) -> VerifiedManifest:
    """Check a received packet without decrypting it (the edge's ingest check).

    Rejects, with a :class:`PacketError` whose ``code`` names the reason: oversize,
    truncated, malformed, schema, unknown_version, not_canonical, bad_encoding,
    manifest_size, bad_signature, manifest_schema, ciphertext_hash, booth_mismatch.
    """
    envelope = _read_envelope(packet_bytes, max_size)
    signed = _SIGNATURE_CONTEXT + envelope.manifest_bytes
    if not signature_matches(booth_public_key, envelope.signature, signed):
        raise PacketError(MSG_SIGNATURE, code="packet.bad_signature")
    manifest = _parse_manifest(envelope)
    if expected_booth_id is not None and manifest.booth_id != expected_booth_id:
        booths = {"packet_booth": manifest.booth_id, "expected_booth": expected_booth_id}
        raise PacketError(MSG_BOOTH, code="packet.booth_mismatch", **booths)
    packet_sha256 = hashlib.sha256(packet_bytes).hexdigest()
    return VerifiedManifest(manifest, packet_sha256, envelope.manifest_bytes)


def _open_blob(
    envelope: _Envelope, manifest: PacketManifest, name: str, private_key: X25519PrivateKey
) -> bytes:
    """Unwrap the content key of blob ``name`` with ``private_key`` and decrypt it."""
    blob = manifest.blobs.get(name)
    key_id = public_key_id(private_key.public_key())
    recipient = (
        None if blob is None else next((r for r in blob.recipients if r.key_id == key_id), None)
    )
    if blob is None or recipient is None:
        raise PacketError(MSG_NO_RECIPIENT, code="packet.no_recipient")
    try:
        content_key = unwrap_for(recipient, private_key, manifest.packet_id)
        return AESGCM(content_key).decrypt(
            b64decode_exact(blob.nonce, "nonce"),
            envelope.blobs[name],
            _BLOB_CONTEXTS.get(name, _CONTENT_CONTEXT) + manifest.packet_id.bytes,
        )
    except (InvalidUnwrap, InvalidTag, ValueError) as err:
        if isinstance(err, PacketError):
            raise
        raise PacketError(MSG_DECRYPT, code="packet.decrypt") from err


def open_sealed(
    packet: bytes | SealedPacket,
    central_private_key: X25519PrivateKey,
    *,
    booth_public_key: Ed25519PublicKey | None = None,
    max_size: int = DEFAULT_MAX_PACKET_BYTES,
) -> Biometrics:
    """Decrypt the biometrics (central's side; tests). Checks every hash in the manifest.

    With ``booth_public_key`` the signature is verified first, as :func:`verify` does.
    """
    data = packet.data if isinstance(packet, SealedPacket) else packet
    if booth_public_key is not None:
        verify(data, booth_public_key=booth_public_key, max_size=max_size)
    envelope = _read_envelope(data, max_size)
    manifest = _parse_manifest(envelope)
    plaintext = _open_blob(envelope, manifest, BIOMETRICS_BLOB, central_private_key)
    parts = decode_parts(plaintext)
    if set(parts) != set(manifest.parts):
        raise PacketError(MSG_PART_HASH, code="packet.part_hash", part="(list)")
    for name, content in parts.items():
        digest = manifest.parts[name]
        if len(content) != digest.size or hashlib.sha256(content).hexdigest() != digest.sha256:
            raise PacketError(MSG_PART_HASH, code="packet.part_hash", part=name)
    return Biometrics(parts)


def open_thumbnail(
    packet: bytes | SealedPacket,
    edge_private_key: X25519PrivateKey,
    *,
    max_size: int = DEFAULT_MAX_PACKET_BYTES,
) -> bytes:
    """The photo thumbnail (JPEG) sealed for the edge's review key (the edge's side).

    The packet must already be verified (the edge verified it at ingest). Raises
    :class:`PacketError` ``packet.no_recipient`` when the packet has no thumbnail or
    it was sealed for another key, ``packet.decrypt`` when it does not decrypt.
    """
    data = packet.data if isinstance(packet, SealedPacket) else packet
    envelope = _read_envelope(data, max_size)
    manifest = _parse_manifest(envelope)
    parts = decode_parts(_open_blob(envelope, manifest, THUMBNAIL_BLOB, edge_private_key))
    if set(parts) != {THUMBNAIL_PART}:
        raise PacketError(MSG_PART_HASH, code="packet.part_hash", part="(list)")
    return parts[THUMBNAIL_PART]
