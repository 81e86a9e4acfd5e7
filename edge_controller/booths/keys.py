"""Every packet-signing key a booth has had: the active one and the retired ones.

A booth signs its packets with an Ed25519 key made on the booth (:mod:`kiosk.keys`).
Provisioning registers its public half here (``rekam-edge booth register``). When a
broken unit is replaced, the new unit makes a NEW key, and the records recovered from
the old unit's outbox are still signed by the OLD key. So the edge keeps every key:

* the **active** key, in ``booth_keys`` (one row per booth);
* **retired** keys, in ``booth_retired_keys``, each with ``retired_at``: the moment the
  replacement registered its key.

A packet from ``booths/<id>/enrollments`` is accepted when the active key verifies it,
or a retired key verifies it *and* its signed ``sealed_at`` is before that key's
retirement plus a small allowance for the booth's clock (``ingest.retired_key_grace_seconds``).
A packet signed by a retired key and sealed later is refused (``booth.key_retired``):
the old unit kept recording after it was replaced. Note what this does not do: a
stolen old unit can still sign a packet with a back-dated ``sealed_at``; the CRL keeps
such a unit off the broker (its certificate is revoked on replacement).

Rotation is explicit and idempotent: the same key twice changes nothing; a new key for
a booth that has one needs ``rotate=True``; a retired key never becomes active again,
and one booth's key is never registered for another booth.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from edge_controller.ingest.db import transaction
from ektp.key_ids import raw_key_id
from ektp.topics import validate_booth_id

KeyChange = Literal["registered", "unchanged", "rotated"]


class BoothKeyError(ValueError):
    """A key that cannot be registered as asked (message for the technician)."""


def parse_booth_public_key(pem: bytes | str) -> Ed25519PublicKey:
    """The Ed25519 public key in ``pem``; ``ValueError`` when it is anything else."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def booth_key_id(key: Ed25519PublicKey) -> str:
    """The booth key's id, by the rule every side shares (:func:`ektp.key_ids.raw_key_id`)."""
    return raw_key_id(key)


@dataclass(frozen=True)
class BoothKey:
    """One key of a booth; ``retired_at`` is None for the active key."""

    key_id: str
    public_key: Ed25519PublicKey
    registered_at: dt.datetime
    retired_at: dt.datetime | None = None


@dataclass(frozen=True)
class BoothKeyRing:
    """The keys a packet of one booth may be signed with: active first, then retired."""

    booth_id: str
    active: BoothKey
    retired: tuple[BoothKey, ...] = ()  # newest retirement first

    @classmethod
    def single(cls, booth_id: str, key: Ed25519PublicKey) -> BoothKeyRing:
        """A ring of one active key (a booth never replaced)."""
        epoch = dt.datetime.fromtimestamp(0, dt.UTC)
        return cls(booth_id, BoothKey(booth_key_id(key), key, epoch))


@dataclass(frozen=True)
class KeyRegistration:
    """What :func:`register_booth_key` did."""

    booth_id: str
    change: KeyChange
    key_id: str
    retired_key_id: str | None = None

    def describe(self) -> str:
        if self.change == "unchanged":
            return f"no change: {self.booth_id} already has key {self.key_id}"
        if self.change == "rotated":
            return (
                f"rotated {self.booth_id}: key {self.key_id} active, "
                f"key {self.retired_key_id} retired"
            )
        return f"registered {self.booth_id} with key {self.key_id}"


def register_booth_key(
    conn: sqlite3.Connection,
    booth_id: str,
    public_key_pem: bytes | str,
    now: dt.datetime,
    *,
    rotate: bool = True,
) -> KeyRegistration:
    """Make ``public_key_pem`` the booth's active key; the key it had is retired at ``now``.

    The same key again changes nothing. With ``rotate=False`` a booth that already has
    another key is refused (:class:`BoothKeyError`) instead of rotated.
    """
    validate_booth_id(booth_id)
    key = parse_booth_public_key(public_key_pem)
    key_id = booth_key_id(key)
    text = public_key_pem.decode("ascii") if isinstance(public_key_pem, bytes) else public_key_pem
    stamp = now.astimezone(dt.UTC).isoformat()
    with transaction(conn):
        _refuse_foreign_or_retired(conn, booth_id, key_id)
        row = conn.execute(
            "SELECT public_key_pem, registered_at FROM booth_keys WHERE booth_id = ?",
            (booth_id,),
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO booth_keys (booth_id, public_key_pem, registered_at) VALUES (?, ?, ?)",
                (booth_id, text, stamp),
            )
            return KeyRegistration(booth_id, "registered", key_id)
        old_key_id = booth_key_id(parse_booth_public_key(row[0]))
        if old_key_id == key_id:
            return KeyRegistration(booth_id, "unchanged", key_id)
        if not rotate:
            raise BoothKeyError(
                f"{booth_id} already has another key ({old_key_id}); to retire it and make "
                f"{key_id} active (a replaced unit), register with --rotate"
            )
        conn.execute(
            "INSERT INTO booth_retired_keys (booth_id, key_id, public_key_pem, registered_at,"
            " retired_at) VALUES (?, ?, ?, ?, ?)",
            (booth_id, old_key_id, row[0], row[1], stamp),
        )
        conn.execute(
            "UPDATE booth_keys SET public_key_pem = ?, registered_at = ? WHERE booth_id = ?",
            (text, stamp, booth_id),
        )
        return KeyRegistration(booth_id, "rotated", key_id, old_key_id)


def _refuse_foreign_or_retired(conn: sqlite3.Connection, booth_id: str, key_id: str) -> None:
    for row in conn.execute("SELECT booth_id, public_key_pem FROM booth_keys"):
        if row[0] != booth_id and booth_key_id(parse_booth_public_key(row[1])) == key_id:
            raise BoothKeyError(f"key {key_id} is already the key of {row[0]}, not {booth_id}")
    retired = conn.execute(
        "SELECT booth_id, retired_at FROM booth_retired_keys WHERE key_id = ?", (key_id,)
    ).fetchone()
    if retired is not None:
        raise BoothKeyError(
            f"key {key_id} of {retired[0]} was retired at {retired[1]}; "
            "a retired key never becomes active again"
        )


def booth_public_key(conn: sqlite3.Connection, booth_id: str) -> Ed25519PublicKey | None:
    """The active key of ``booth_id``, or None for a booth never registered."""
    row = conn.execute(
        "SELECT public_key_pem FROM booth_keys WHERE booth_id = ?", (booth_id,)
    ).fetchone()
    return None if row is None else parse_booth_public_key(row[0])


def registered_booths(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT booth_id FROM booth_keys ORDER BY booth_id")]


def booth_key_rings(
    conn: sqlite3.Connection,
    booth_ids: Iterable[str],
    cache: dict[str, Ed25519PublicKey] | None = None,
) -> dict[str, BoothKeyRing]:
    """The key rings of the registered booths among ``booth_ids`` (others are left out).

    ``cache`` maps PEM text to parsed keys across calls (the ingest asks every batch).
    """
    parsed = cache if cache is not None else {}

    def key_of(pem: str) -> Ed25519PublicKey:
        if pem not in parsed:
            parsed[pem] = parse_booth_public_key(pem)
        return parsed[pem]

    rings = {}
    for booth_id in sorted(set(booth_ids)):
        row = conn.execute(
            "SELECT public_key_pem, registered_at FROM booth_keys WHERE booth_id = ?",
            (booth_id,),
        ).fetchone()
        if row is None:
            continue
        active_key = key_of(row[0])
        active = BoothKey(booth_key_id(active_key), active_key, dt.datetime.fromisoformat(row[1]))
        retired = tuple(
            BoothKey(
                old[0],
                key_of(old[1]),
                dt.datetime.fromisoformat(old[2]),
                dt.datetime.fromisoformat(old[3]),
            )
            for old in conn.execute(
                "SELECT key_id, public_key_pem, registered_at, retired_at FROM booth_retired_keys"
                " WHERE booth_id = ? ORDER BY retired_at DESC",
                (booth_id,),
            )
        )
        rings[booth_id] = BoothKeyRing(booth_id, active, retired)
    return rings


def booth_key_ring(conn: sqlite3.Connection, booth_id: str) -> BoothKeyRing | None:
    """One booth's keys, or None for a booth never registered."""
    return booth_key_rings(conn, [booth_id]).get(booth_id)
