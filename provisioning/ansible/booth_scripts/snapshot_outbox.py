"""Copy an outbox to one consistent SQLite file (WAL included), reading it read-only."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--dest", required=True)
    args = parser.parse_args()
    if not os.path.exists(args.outbox):
        print(json.dumps({"found": False, "unacked": 0, "reason": "no outbox"}))
        return
    if os.path.exists(args.dest):
        os.remove(args.dest)
    try:
        source = sqlite3.connect(f"file:{args.outbox}?mode=ro", uri=True, timeout=10)
        target = sqlite3.connect(args.dest)
        with target:
            source.backup(target)
        unacked = target.execute(
            "SELECT COUNT(*) FROM packets WHERE state IN ('sealed', 'sent')"
        ).fetchone()[0]
        source.close()
        target.close()
    except sqlite3.Error as err:
        print(json.dumps({"found": False, "unacked": 0, "reason": f"unreadable: {err}"}))
        return
    print(json.dumps({"found": True, "unacked": int(unacked)}))


if __name__ == "__main__":
    main()
