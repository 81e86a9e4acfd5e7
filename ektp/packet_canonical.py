"""The quick reading of a packet that is already in canonical form (the normal case).

:func:`ektp.packet.verify` parses the envelope as strict JSON, encodes it again to
check it is canonical, and parses the manifest as strict JSON before its schema. A
booth always sends canonical bytes, so for them the same answers come cheaper:

* :func:`read_canonical_envelope` reads the envelope by slicing, accepting only the
  exact shape ``{"blobs":{"<name>":"<b64>",…},"manifest":"<b64>","signature":"<b64>","v":1}``
  with 1 to 4 blob names in ascending order, drawn from characters JSON never escapes,
  and base64 in canonical spelling (which has no character JSON escapes either). Bytes
  of that shape *are* the canonical JSON of what they hold, so no re-encoding is needed.
* :func:`quick_manifest` parses the manifest with the strict rules (UTF-8, no duplicate
  key, no NaN or Infinity) but leaves out the nesting-depth walk — every model of the
  schema forbids extra keys and its depth is fixed, so a manifest that passes the
  schema is never too deep — then validates it as the full path does.

Either returns None whenever the packet is anything else; the caller then takes the
full path, which gives every refusal its usual code. A packet is therefore accepted
or refused exactly as before; only the accepted ones got cheaper.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ektp.packet_models import PACKET_VERSION, PacketManifest, b64decode_canonical

_BLOBS_START = b'{"blobs":{'
_MANIFEST = b',"manifest":"'
_SIGNATURE = b'","signature":"'
_END = b'","v":1}'
_BLOB_NAME = re.compile(rb"[A-Za-z0-9_.-]{1,64}")
MAX_BLOBS = 4


def read_canonical_envelope(
    data: bytes, max_manifest_bytes: int
) -> tuple[bytes, bytes, dict[str, bytes]] | None:
    """(manifest bytes, signature, blobs by name) of a canonical envelope, else None."""
    if not data.startswith(_BLOBS_START) or not data.endswith(_END):
        return None
    blobs: dict[str, bytes] = {}
    position, previous = len(_BLOBS_START), b""
    while True:
        if data[position : position + 1] != b'"':
            return None
        name_end = data.find(b'":"', position + 1)
        name = data[position + 1 : name_end]
        if name_end < 0 or not _BLOB_NAME.fullmatch(name) or name <= previous:
            return None  # ascending names: no duplicate, and the order sort_keys gives
        value_end = data.find(b'"', name_end + 3)
        blob = b64decode_canonical(data[name_end + 3 : value_end]) if value_end > 0 else None
        if blob is None or len(blobs) == MAX_BLOBS:
            return None
        blobs[name.decode("ascii")] = blob
        position, previous = value_end + 1, name
        if data[position : position + 2] == b"}" + _MANIFEST[:1]:
            break
        if data[position : position + 1] != b",":
            return None
        position += 1
    return _read_tail(data, position + 1, max_manifest_bytes, blobs)


def _read_tail(
    data: bytes, position: int, max_manifest_bytes: int, blobs: dict[str, bytes]
) -> tuple[bytes, bytes, dict[str, bytes]] | None:
    if not data.startswith(_MANIFEST, position):
        return None
    manifest_start = position + len(_MANIFEST)
    manifest_end = data.find(_SIGNATURE, manifest_start)
    if manifest_end < 0:
        return None
    signature_start = manifest_end + len(_SIGNATURE)
    signature_end = len(data) - len(_END)
    if signature_end < signature_start:
        return None
    manifest = b64decode_canonical(data[manifest_start:manifest_end])
    if manifest is None or len(manifest) > max_manifest_bytes:
        return None
    signature = b64decode_canonical(data[signature_start:signature_end])
    if signature is None:
        return None
    return manifest, signature, blobs


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def quick_manifest(manifest_bytes: bytes) -> PacketManifest | None:
    """The manifest, parsed by the strict rules but the depth walk; None on any failure."""
    try:
        text = manifest_bytes.decode("utf-8")
        raw = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        if not isinstance(raw, dict) or raw.get("v") != PACKET_VERSION:
            return None
        return PacketManifest.model_validate(raw)
    except (ValueError, RecursionError):  # pydantic's ValidationError is a ValueError too
        return None
