"""The audit entry and the hash chain of Rekam's audit logs (the booth's and the edge's).

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own
canonical JSON (sequence number, time, event, fields), so removing or editing any
entry breaks the chain from there on. Entries carry ids, names of steps and reasons —
never a PIN, a key, or biometric bytes (:func:`check_fields` refuses those names).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ektp.errors import RekamError
from ektp.i18n import N_

GENESIS = "0" * 64
FORBIDDEN_KEYS = frozenset({"pin", "template", "templates", "photo", "signature_image", "key"})


def entry_hash(prev_hash: str, seq: int, at: str, event: str, fields: Mapping[str, Any]) -> str:
    """The hash of one entry, chained to ``prev_hash``."""
    canonical = json.dumps(
        {"seq": seq, "at": at, "event": event, "fields": fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class AuditFieldError(RekamError, ValueError):
    """An audit entry would carry a secret or biometric field."""

    code = "audit.forbidden_field"


@dataclass(frozen=True)
class AuditEntry:
    """One entry of an audit log: what happened when, chained to the entry before it."""

    seq: int
    at: str
    """ISO 8601 UTC time, milliseconds."""
    event: str
    fields: dict[str, Any]
    prev_hash: str
    hash: str


def chained_entry(
    prev_hash: str, seq: int, at: str, event: str, fields: Mapping[str, Any]
) -> AuditEntry:
    """The entry ``seq`` after ``prev_hash``, with its hash (fields are checked first)."""
    check_fields(fields)
    digest = entry_hash(prev_hash, seq, at, event, fields)
    return AuditEntry(seq, at, event, dict(fields), prev_hash, digest)


def check_fields(fields: Mapping[str, Any]) -> None:
    """Raise :class:`AuditFieldError` when an entry would carry a secret or biometric field."""
    leaked = FORBIDDEN_KEYS.intersection(k.lower() for k in fields)
    if leaked:
        raise AuditFieldError(
            N_("Audit entries must not carry {fields}"), fields=", ".join(sorted(leaked))
        )


def first_broken(entries: Iterable[AuditEntry]) -> int | None:
    """The sequence number of the first broken entry, or None when the chain is whole."""
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        recomputed = entry_hash(prev, entry.seq, entry.at, entry.event, entry.fields)
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.hash != recomputed:
            return entry.seq
        prev = entry.hash
        expected_seq += 1
    return None
