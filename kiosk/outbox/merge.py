"""Add what a replaced unit's outbox had not delivered to this booth's outbox.

Run on the booth by provisioning (``rekam-python -m kiosk.outbox.merge --source OLD
--outbox OUTBOX``) when a unit is replaced with the same booth identity: sealed packets
the edge never acknowledged, and the messages (events, mobile tickets, training
results) still waiting, join this outbox and are sent like any other. Merging is
idempotent: a packet already stored, or a message with an id already waiting, is left
alone, so a second run adds nothing. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from kiosk.outbox.records import Sendable, SendableKind
from kiosk.outbox.store import Outbox


def _unsent_packets(source: sqlite3.Connection) -> list[tuple[str, bytes, str]]:
    return source.execute(
        "SELECT packet_id, sealed, meta FROM packets"
        " WHERE state IN ('sealed', 'sent') AND sealed IS NOT NULL"
        " ORDER BY created_at, rowid"
    ).fetchall()


def _waiting_messages(source: sqlite3.Connection) -> list[tuple[str, str, str, bytes]]:
    has_table = source.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sendables'"
    ).fetchone()
    if not has_table:  # an outbox written before messages were kept in it
        return []
    return source.execute(
        "SELECT record_id, kind, topic, payload FROM sendables ORDER BY seq"
    ).fetchall()


def merge(source_path: Path, outbox_path: Path) -> dict[str, int]:
    """Merge ``source_path`` (read only) into the outbox at ``outbox_path``."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        packets = _unsent_packets(source)
        messages = _waiting_messages(source)
    finally:
        source.close()
    added = already = messages_added = 0
    with Outbox(outbox_path) as outbox:
        for packet_id, sealed, meta in packets:
            if outbox.get(packet_id) is not None:
                already += 1
                continue
            outbox.commit(packet_id, bytes(sealed), json.loads(meta or "{}"))
            added += 1
        for record_id, kind, topic, payload in messages:
            sendable = Sendable(SendableKind(kind), record_id, topic, bytes(payload))
            if outbox.sendables.enqueue(sendable, beyond_cap=True):
                messages_added += 1
        depth = outbox.depth()
    return {
        "added": added,
        "already": already,
        "messages_added": messages_added,
        "outbox_depth": depth,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.outbox.merge", description=__doc__)
    parser.add_argument("--source", required=True, type=Path, help="the old unit's outbox")
    parser.add_argument("--outbox", required=True, type=Path, help="this booth's outbox")
    args = parser.parse_args(argv)
    print(json.dumps(merge(args.source, args.outbox)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
