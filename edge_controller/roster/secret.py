"""The office roster secret on the edge, the residents' look-up keys, and their delivery.

The edge makes the secret once (:func:`office_roster_secret`, kept in the edge
database, which already holds the whole roster) and hands it to every **registered**
booth only, sealed to that booth's registered key (:func:`roster_keys_message`, retained
on ``office/roster_keys``; :mod:`ektp.roster_seal`). A booth whose key is rotated gets it
sealed to its new key at the next publication; an unregistered certificate gets nothing.

Each resident's keys cost one scrypt (:mod:`ektp.roster_keys`), so they are made once
per secret and kept in ``roster_lookup_keys``: :func:`missing_niks` says which are due,
:func:`compute_keys` makes them (off the database thread: the publisher runs it in a
worker thread) and :func:`store_keys` keeps them; :func:`lookup_keys` reads them back
(making any still missing on the spot).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Sequence

from edge_controller.booths.keys import booth_key_id, parse_booth_public_key
from edge_controller.ingest.db import transaction
from ektp.roster_keys import DEFAULT_COST, KdfCost, ResidentKeys, RosterSecret
from ektp.roster_messages import KdfCostModel, RosterKeysMessage, SealedSecretModel, seal_context
from ektp.roster_seal import seal_for_booth

_CHUNK = 500


def office_roster_secret(
    conn: sqlite3.Connection, *, cost: KdfCost = DEFAULT_COST, now: dt.datetime | None = None
) -> RosterSecret:
    """The secret in use, made (with ``cost``) the first time it is asked for."""
    found = _secret_in_use(conn)
    if found is not None:
        return found
    secret = RosterSecret.generate(cost)
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat()
    with transaction(conn):  # another connection may have made it meanwhile
        found = _secret_in_use(conn)
        if found is not None:
            return found
        conn.execute(
            "INSERT INTO roster_secrets (secret_id, secret, kdf_log2_n, kdf_r, kdf_p, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (secret.secret_id, secret.key, cost.log2_n, cost.r, cost.p, stamp),
        )
    return secret


def _secret_in_use(conn: sqlite3.Connection) -> RosterSecret | None:
    row = conn.execute(
        "SELECT secret, kdf_log2_n, kdf_r, kdf_p FROM roster_secrets WHERE retired_at IS NULL"
    ).fetchone()
    return None if row is None else RosterSecret(bytes(row[0]), KdfCost(row[1], row[2], row[3]))


def missing_niks(conn: sqlite3.Connection, secret: RosterSecret) -> list[str]:
    """Residents without keys under ``secret`` yet."""
    rows = conn.execute(
        "SELECT r.nik FROM residents r LEFT JOIN roster_lookup_keys k"
        " ON k.nik = r.nik AND k.secret_id = ? WHERE k.nik IS NULL ORDER BY r.nik",
        (secret.secret_id,),
    )
    return [row[0] for row in rows]


def compute_keys(secret: RosterSecret, niks: Iterable[str]) -> dict[str, ResidentKeys]:
    """One scrypt per NIK: run it on a worker thread, never on the database thread."""
    return {nik: secret.resident_keys(nik) for nik in niks}


def store_keys(
    conn: sqlite3.Connection, secret: RosterSecret, keys: dict[str, ResidentKeys]
) -> None:
    with transaction(conn):
        conn.executemany(
            "INSERT INTO roster_lookup_keys (nik, secret_id, lookup_key, check_key)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (nik, secret_id) DO NOTHING",
            [(nik, secret.secret_id, k.lookup_key, k.check_key.hex()) for nik, k in keys.items()],
        )


def lookup_keys(
    conn: sqlite3.Connection, secret: RosterSecret, niks: Sequence[str]
) -> dict[str, ResidentKeys]:
    """The keys of ``niks`` (those still missing are made now, and kept)."""
    found: dict[str, ResidentKeys] = {}
    for start in range(0, len(niks), _CHUNK):
        chunk = list(niks[start : start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        query = (
            "SELECT nik, lookup_key, check_key FROM roster_lookup_keys"  # noqa: S608
            f" WHERE secret_id = ? AND nik IN ({marks})"
        )
        for nik, lookup, check in conn.execute(query, [secret.secret_id, *chunk]):
            found[nik] = ResidentKeys(lookup, bytes.fromhex(check))
    missing = [nik for nik in niks if nik not in found]
    if missing:
        made = compute_keys(secret, missing)
        store_keys(conn, secret, made)
        found.update(made)
    return found


def resident_keys(conn: sqlite3.Connection, secret: RosterSecret, nik: str) -> ResidentKeys:
    """One resident's keys (kept ones when the NIK is in the roster)."""
    return lookup_keys(conn, secret, [nik])[nik]


def registered_booth_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(booth id, active key PEM) of every registered booth."""
    rows = conn.execute("SELECT booth_id, public_key_pem FROM booth_keys ORDER BY booth_id")
    return [(row[0], row[1]) for row in rows]


def keys_content(secret: RosterSecret, booths: Sequence[tuple[str, str]]) -> str:
    """What the keys message says, without its random sealing: publish again if it changed."""
    text = secret.secret_id + "".join(f"|{booth}:{pem}" for booth, pem in booths)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def roster_keys_message(
    secret: RosterSecret, booths: Sequence[tuple[str, str]], now: dt.datetime
) -> RosterKeysMessage:
    """The secret sealed to each registered booth's active key."""
    sealed = {}
    for booth_id, pem in booths:
        key = parse_booth_public_key(pem)
        box = seal_for_booth(secret.key, key, seal_context(booth_id, secret.secret_id))
        sealed[booth_id] = SealedSecretModel(
            key_id=booth_key_id(key),
            ephemeral_public=box.ephemeral_public,
            nonce=box.nonce,
            ciphertext=box.ciphertext,
        )
    return RosterKeysMessage(
        at=now, secret_id=secret.secret_id, kdf=KdfCostModel.of(secret.cost), booths=sealed
    )
