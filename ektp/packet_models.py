"""The sealed packet's schema: manifest, sealed blobs, recipients, errors, part names.

See :mod:`ektp.packet` for sealing and verifying.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import uuid
from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

import pybase64
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.record import EnrollmentRecord, Finger
from ektp.topics import BoothId

PACKET_VERSION: Literal[1] = 1
MAX_PARTS = 64
MAX_RECIPIENTS = 4
BIOMETRICS_BLOB = "biometrics"
THUMBNAIL_BLOB = "thumbnail"
"""The photo thumbnail sealed for the edge's review key only (supervisor review, #10)."""
PART_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"

PHOTO_PART = "photo"
SIGNATURE_PART = "signature"

MSG_BAD_PART = N_("The sealed content is not a valid list of parts")


def template_part(finger: Finger) -> str:
    """Part name of one finger's template, e.g. ``template.right_thumb``."""
    return f"template.{Finger(finger).value}"


def document_part(name: str) -> str:
    """Part name of a scanned document image, e.g. ``document.kk``."""
    return f"document.{name}"


class PacketError(ValidationError):
    """A packet that cannot be accepted; ``code`` says why (``packet.bad_signature``, ...)."""

    code = "packet"


PartName = Annotated[str, StringConstraints(pattern=PART_NAME_PATTERN)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Base64Text = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=256)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartDigest(_Model):
    sha256: Sha256Hex = Field(description="SHA-256 of the part's plaintext bytes.")
    size: int = Field(ge=0, description="Plaintext size in bytes.")


class Recipient(_Model):
    """The content key, wrapped for one recipient's X25519 public key."""

    role: Literal["central", "edge"] = Field(description="Who can open the blob.")
    scheme: Literal["X25519-HKDF-SHA256-AESKW"] = Field(description="Key agreement and wrap.")
    key_id: KeyId = Field(description="First 16 bytes (hex) of SHA-256 of the raw public key.")
    ephemeral_public_key: Base64Text = Field(description="The sender's one-time X25519 key.")
    wrapped_key: Base64Text = Field(description="The AES-256 content key, AES-KW wrapped.")


class SealedBlob(_Model):
    """One encrypted blob of the envelope (v1 has ``biometrics``; room for a thumbnail)."""

    cipher: Literal["AES-256-GCM"] = Field(description="Content cipher.")
    nonce: Base64Text = Field(description="The 12-byte GCM nonce.")
    size: int = Field(ge=0, description="Ciphertext size in bytes (with the 16-byte tag).")
    sha256: Sha256Hex = Field(description="SHA-256 of the ciphertext.")
    recipients: tuple[Recipient, ...] = Field(
        min_length=1, max_length=MAX_RECIPIENTS, description="Who the content key is wrapped for."
    )


class PacketManifest(_Model):
    """What the booth signs; readable by the edge without any secret."""

    v: Literal[1] = Field(default=PACKET_VERSION, description="Packet format version.")
    packet_id: uuid.UUID = Field(description="Unique id; the ack and idempotency key.")
    booth_id: BoothId = Field(description="The sealing booth; must match the signing key.")
    sealed_at: AwareDatetime = Field(description="When the packet was sealed.")
    record: EnrollmentRecord = Field(description="Ids, NIK, kelurahan, service, scores, flags.")
    parts: dict[PartName, PartDigest] = Field(
        max_length=MAX_PARTS, description="Hash and size of each biometric/document part."
    )
    blobs: dict[PartName, SealedBlob] = Field(
        min_length=1, max_length=4, description="The encrypted blobs by name."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PacketManifest:
        if BIOMETRICS_BLOB not in self.blobs:
            raise ValueError("the biometrics blob is missing")
        if self.record.booth_id != self.booth_id:
            raise ValueError("the record's booth differs from the packet's booth")
        if any(r.role != "central" for r in self.blobs[BIOMETRICS_BLOB].recipients):
            raise ValueError("the biometrics are sealed for central only")
        thumbnail = self.blobs.get(THUMBNAIL_BLOB)
        if thumbnail is not None and any(r.role != "edge" for r in thumbnail.recipients):
            raise ValueError("the thumbnail is sealed for the edge only")
        return self


class Biometrics(Mapping[str, bytes]):
    """The opened parts: ``photo``, ``signature``, ``template.<finger>``, ``document.<x>``."""

    def __init__(self, parts: Mapping[str, bytes]) -> None:
        self._parts = dict(parts)

    def __getitem__(self, name: str) -> bytes:
        return self._parts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __repr__(self) -> str:  # never the bytes
        return f"Biometrics(parts={sorted(self._parts)})"

    @property
    def photo(self) -> bytes | None:
        return self._parts.get(PHOTO_PART)

    @property
    def signature(self) -> bytes | None:
        return self._parts.get(SIGNATURE_PART)

    def template(self, finger: Finger) -> bytes | None:
        return self._parts.get(template_part(finger))


# --- the plaintext of a blob: b"RKP1" u16 count, then per part u8 name len, name, u32 len, data
_MAGIC = b"RKP1"


def encode_parts(parts: Mapping[str, bytes]) -> bytes:
    chunks = [_MAGIC, struct.pack(">H", len(parts))]
    for name in sorted(parts):
        raw_name = name.encode("ascii")
        chunks += [struct.pack(">B", len(raw_name)), raw_name]
        chunks += [struct.pack(">I", len(parts[name])), parts[name]]
    return b"".join(chunks)


def decode_parts(data: bytes) -> dict[str, bytes]:
    """Inverse of :func:`encode_parts`; raises PacketError on any inconsistency."""
    bad = PacketError(MSG_BAD_PART, code="packet.bad_parts")
    if data[:4] != _MAGIC or len(data) < 6:
        raise bad
    (count,) = struct.unpack_from(">H", data, 4)
    offset, parts = 6, {}
    for _ in range(count):
        if offset + 1 > len(data):
            raise bad
        name_len = data[offset]
        name_end = offset + 1 + name_len
        if name_end + 4 > len(data):
            raise bad
        name = data[offset + 1 : name_end].decode("ascii", "replace")
        (size,) = struct.unpack_from(">I", data, name_end)
        start = name_end + 4
        if start + size > len(data) or name in parts:
            raise bad
        parts[name] = data[start : start + size]
        offset = start + size
    if offset != len(data):
        raise bad
    return parts


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_exact(text: object, field: str) -> bytes:
    """Decode canonical base64 only: any other spelling of the same bytes is refused."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else None
    data = None if raw is None else b64decode_canonical(raw)  # "?" is not base64
    if data is None:
        message = N_("A packet field is not valid base64: {field}")
        raise PacketError(message, code="packet.bad_encoding", field=field)
    return data


def b64decode_canonical(raw: bytes) -> bytes | None:
    """The bytes whose canonical base64 is exactly ``raw``, or None (one pass in C).

    Validated decoding takes the alphabet only, padding only at the end; of the spellings
    left, only the last four characters can differ from the canonical one (unused bits
    set), so only they are encoded again and compared.
    """
    if len(raw) % 4:
        return None
    try:
        data = pybase64.b64decode(raw, validate=True)  # SIMD: ~30x binascii on 60 KB
    except (binascii.Error, ValueError):
        return None
    if data and binascii.b2a_base64(data[-(len(data) % 3 or 3) :], newline=False) != raw[-4:]:
        return None
    return data


def check_parts(biometrics: Mapping[str, bytes], limit: int) -> None:
    """Parts a packet can carry: 1 to MAX_PARTS, well-named, bytes, within ``limit``."""
    if not biometrics:
        raise ValueError("a packet needs at least one part")
    if len(biometrics) > MAX_PARTS:
        raise ValueError(f"a packet holds at most {MAX_PARTS} parts")
    for name, data in biometrics.items():
        if not re.fullmatch(PART_NAME_PATTERN, name):
            raise ValueError(f"bad part name {name!r}")
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"part {name!r} must be bytes")
    if sum(len(data) for data in biometrics.values()) > limit:
        raise ValueError("the parts exceed the packet size limit")
