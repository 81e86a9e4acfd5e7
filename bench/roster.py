"""The edge's roster digests at an office's real size: what a roster change costs.

``python -m bench.roster [--quick]`` prints a table; ``run(quick)`` returns the rows.

Set-up: the edge database (real migrations, WAL, ``synchronous=FULL``) holding the
synthetic roster of Kecamatan Gunung Tabur as in the 2012 schedule (full mode: the
schedule's counts doubled, about the ~20,000 residents of a large office; quick: as
published). The figures are what :mod:`edge_controller.roster.publisher` spends on the
edge's event loop thread pool:

1. after a recording: the village it touched is found (:func:`recorded_villages_since`),
   read, hashed and encoded — what the publisher does after each batch of recordings
   (at most once per 30 s);
2. full recompute: every village read and hashed, the changed one encoded (after
   another program, such as ``rekam-edge roster import``, changed the database);
3. full publish: every village encoded (service start, broker reconnect);
4. largest digest: bytes of the biggest village's retained message, against the
   contract's 8 MB limit for ``office/roster/#``.

The baseline of 1 to 3 is a plain ``SELECT * FROM residents`` read of the same rows,
measured in the same run: the least any digest could cost.

The residents' look-up keys are made once per office secret and kept (what the first
publication costs, and what the keys cost an enumerator, are :mod:`bench.roster_keys`'s
rows, appended here, as are :mod:`bench.roster_deltas`' broker bytes per recording with
versioned deltas, for a 5k and a 30k office): rows 1 to 3 are the steady state, so the
office secret of this run is made with a token scrypt cost, which changes the keys'
values, not these figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import roster_deltas, roster_keys
from bench.report import make_row, print_table_main
from demo.roster import VillageCount, gunung_tabur_counts, insert_residents, synthetic_roster
from edge_controller.ingest.db import connect
from edge_controller.roster.publisher import (
    mark_published,
    pending_updates,
    recorded_villages_since,
)
from edge_controller.roster.secret import office_roster_secret
from edge_controller.roster.store import record_enrollment
from ektp.messages import SIZE_LIMITS
from ektp.roster_keys import KdfCost
from ektp.topics import Topic

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _best_ms(action: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return min(times) if repeats < 3 else statistics.median(times)


def _office(conn: sqlite3.Connection, scale: int) -> int:
    villages = [
        dataclasses.replace(v, wajib_ktp=v.wajib_ktp * scale) for v in gunung_tabur_counts()
    ]
    residents = synthetic_roster(villages, adult_on=NOW.date())
    insert_residents(conn, residents)
    office_roster_secret(conn, cost=KdfCost(log2_n=1, r=1))  # see the module docstring
    return len(residents)


def _record_one(conn: sqlite3.Connection, number: int, villages: list[VillageCount]) -> None:
    row = conn.execute(
        "SELECT nik, kelurahan FROM residents WHERE kelurahan = ? LIMIT 1 OFFSET ?",
        (villages[0].kelurahan, number),
    ).fetchone()
    record_enrollment(conn, row[0], f"bench-{number:06d}", "booth-01", row[1], NOW)


def run(quick: bool) -> list[dict[str, Any]]:
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="rekam-bench-roster-") as tmp:
        conn = connect(Path(tmp) / "edge.sqlite3")
        try:
            residents = _office(conn, 1 if quick else 2)
            villages = gunung_tabur_counts()
            full = pending_updates(conn, NOW, force=True)
            for update in full:  # as after a first publication: nothing pending
                mark_published(conn, update, NOW)
            read_ms = _best_ms(lambda: conn.execute("SELECT * FROM residents").fetchall(), repeats)
            counter = iter(range(10_000))
            mark = recorded_villages_since(conn, 0)[1]

            def after_one_recording() -> None:
                nonlocal mark
                _record_one(conn, next(counter), villages)
                touched, mark = recorded_villages_since(conn, mark)
                (update,) = pending_updates(conn, NOW, villages=touched)
                mark_published(conn, update, NOW)

            def every_village() -> None:
                _record_one(conn, next(counter), villages)
                (update,) = pending_updates(conn, NOW)
                mark_published(conn, update, NOW)

            targeted_ms = _best_ms(after_one_recording, repeats)
            recompute_ms = _best_ms(every_village, repeats)
            publish_ms = _best_ms(lambda: pending_updates(conn, NOW, force=True), repeats)
            largest = max(len(update.payload) for update in full)
        finally:
            conn.close()
    limit = SIZE_LIMITS[Topic.ROSTER]
    size = f"{residents} residents, {len(full)} villages"
    read = "SELECT * FROM residents"
    return [
        make_row(f"roster update after a recording ({size})", targeted_ms, "ms", read, read_ms),
        make_row(f"roster recompute, every village ({size})", recompute_ms, "ms", read, read_ms),
        make_row(f"roster full publish ({size})", publish_ms, "ms", read, read_ms),
        make_row("largest village digest", largest / 1e6, "MB", "contract limit", limit / 1e6),
        *roster_keys.run(quick),
        *roster_deltas.run(quick),
    ]


def main(argv: list[str] | None = None) -> int:
    print_table_main(run, argv, prog="python -m bench.roster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
