# ruff: noqa: S608 - the SQL here is built from fixed fragments and "?" marks only
"""The group commit's statements, a batch at a time: look-ups and inserts of many rows.

Python's ``sqlite3`` lets go of the GIL around every statement it steps, and the edge's
network thread and event loop take it each time (issue 20: a batch of 64 packets made
some 250 such hand-overs, the commit thread then waiting for the GIL to come back).
:func:`~edge_controller.ingest.checks.commit_checked` therefore asks which packets are
already stored, and which residents already recorded, once per batch, and inserts the
packet rows with one statement per :data:`ROWS_PER_INSERT` packets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

PACKET_COLUMNS = (
    "packet_id",
    "booth_id",
    "sha256",
    "size",
    "data",
    "manifest",
    "nik",
    "kelurahan",
    "review_flags",
    "needs_review",
    "received_at",
)
"""An ``ingested_packets`` row as :func:`insert_packets` takes it (state: committed)."""
PacketRow = tuple[str, str, str, int, bytes, str, str, str, str, int, str]
ROWS_PER_INSERT = 64
"""Packet rows per INSERT statement (11 variables each; SQLite allows 32,766)."""
KEYS_PER_LOOKUP = 500
"""Keys per ``IN (…)`` look-up."""

_ROW = "(" + ", ".join("?" * len(PACKET_COLUMNS)) + ", 'committed')"
_INSERT = f"INSERT INTO ingested_packets ({', '.join(PACKET_COLUMNS)}, state) VALUES "


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lookup(conn: sqlite3.Connection, sql: str, keys: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(keys)), KEYS_PER_LOOKUP):
        marks = ", ".join("?" * len(chunk))
        found |= {row[0]: row[1] for row in conn.execute(sql.format(marks), chunk)}
    return found


def stored_hashes(conn: sqlite3.Connection, packet_ids: Sequence[str]) -> dict[str, str]:
    """The SHA-256 of each of these packets already stored, by packet id."""
    sql = "SELECT packet_id, sha256 FROM ingested_packets WHERE packet_id IN ({})"
    return _lookup(conn, sql, packet_ids)


def recorded_by(conn: sqlite3.Connection, niks: Sequence[str]) -> dict[str, str]:
    """The packet that recorded each of these residents, by NIK (those recorded)."""
    return _lookup(conn, "SELECT nik, packet_id FROM recordings WHERE nik IN ({})", niks)


def insert_packets(conn: sqlite3.Connection, rows: Sequence[PacketRow]) -> None:
    """Insert these ``ingested_packets`` rows, in order (inside the caller's transaction)."""
    for chunk in _chunks(rows, ROWS_PER_INSERT):
        values = [value for row in chunk for value in row]
        conn.execute(_INSERT + ", ".join([_ROW] * len(chunk)), values)
