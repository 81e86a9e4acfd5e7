"""Report a booth's release, outbox depth and free space as JSON (read-only)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import time

UNACKED_STATES = ("sealed", "sent")


def outbox_depth(path: str) -> int | None:
    """Packets not yet acknowledged by the edge, read without writing anything."""
    if not os.path.exists(path):
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM packets WHERE state IN (?, ?)", UNACKED_STATES
        ).fetchone()
        return int(row[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--current", required=True)
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    release = None
    if os.path.islink(args.current):
        release = os.path.basename(os.readlink(args.current).rstrip("/"))
    free = None
    if os.path.isdir(args.data_dir):
        free = shutil.disk_usage(args.data_dir).free
    print(
        json.dumps(
            {
                "release": release,
                "outbox_depth": outbox_depth(args.outbox),
                "data_free_bytes": free,
                "booth_time": time.time(),
            }
        )
    )


if __name__ == "__main__":
    main()
