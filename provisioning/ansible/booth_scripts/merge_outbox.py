"""Add the unacknowledged packets of a recovered outbox to this booth's outbox.

Runs on the booth with its Rekam release on PYTHONPATH (``rekam-python``). Uses
``kiosk.outbox.store.Outbox.commit``, which is a no-op for a packet already stored with the
same bytes: merging twice adds nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3

from kiosk.outbox.store import Outbox


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--outbox", required=True)
    args = parser.parse_args()
    source = sqlite3.connect(f"file:{args.source}?mode=ro", uri=True)
    try:
        rows = source.execute(
            "SELECT packet_id, sealed, meta FROM packets"
            " WHERE state IN ('sealed', 'sent') AND sealed IS NOT NULL"
            " ORDER BY created_at, rowid"
        ).fetchall()
    finally:
        source.close()
    added = already = 0
    with Outbox(args.outbox) as outbox:
        for packet_id, sealed, meta in rows:
            if outbox.get(packet_id) is not None:
                already += 1
                continue
            outbox.commit(packet_id, bytes(sealed), json.loads(meta or "{}"))
            added += 1
        depth = outbox.depth()
    print(json.dumps({"added": added, "already": already, "outbox_depth": depth}))


if __name__ == "__main__":
    main()
