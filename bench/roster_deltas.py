"""Broker bytes per recording, as the office grows: versioned deltas against whole digests.

``python -m bench.roster_deltas [--quick]`` prints a table; ``run(quick)`` returns the rows
(:mod:`bench.roster` appends them to its own).

Set-up: the synthetic roster of Kecamatan Gunung Tabur scaled to an office of 5,000 and
of 30,000 residents (the real migrations, WAL, ``synchronous=FULL``); its largest
village is read and keyed as the edge does
(:func:`edge_controller.roster.publisher.digest_message`).
Then one ring's worth of recordings in that village, each one resident's entry becoming
"recorded today", goes through :func:`edge_controller.roster.deltas.next_publication`,
the publisher's own choice between a delta and a full digest — a full cycle: ``ring``
deltas and the compaction (one full digest) that follows, so the mean includes it.

``roster_bytes_per_recording_<size>``: kilobytes through the broker per recording,
what the edge publishes plus what the broker hands to :data:`BOOTHS` subscribed booths;
the baseline is the same for the whole village digest published again after each
recording (what the edge did before deltas). ``roster_bytes_per_recording_30k_vs_5k``:
how the figure grows from the small office to the large one, against how the residents
grow (the goal: ~1, whatever the size).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report import make_row, print_table_main
from demo.roster import gunung_tabur_counts, insert_residents, synthetic_roster
from edge_controller.ingest.db import connect
from edge_controller.roster.deltas import VillageVersion, next_publication
from edge_controller.roster.publisher import digest_message
from edge_controller.roster.secret import lookup_keys, office_roster_secret
from edge_controller.roster.store import roster_digest
from ektp.messages import RosterDigest, encode_message
from ektp.resident import CardStatus
from ektp.roster_keys import KdfCost

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
BOOTHS = 50
OFFICES = (5_000, 30_000)

_row = functools.partial(make_row, ratio_places=4)


@dataclasses.dataclass(frozen=True)
class Cycle:
    residents: int
    village_residents: int
    full_bytes: int
    published_bytes: int
    recordings: int
    deltas: int

    def broker_kb(self) -> float:
        """Mean KB through the broker per recording: in once, out to every booth."""
        return self.published_bytes / self.recordings * (1 + BOOTHS) / 1000

    def before_kb(self) -> float:
        return self.full_bytes * (1 + BOOTHS) / 1000


def _largest_village(office_residents: int, directory: Path) -> tuple[RosterDigest, int]:
    counts = gunung_tabur_counts()
    scale = office_residents / sum(v.wajib_ktp for v in counts)
    villages = [dataclasses.replace(v, wajib_ktp=round(v.wajib_ktp * scale)) for v in counts]
    residents = synthetic_roster(villages, adult_on=NOW.date())
    largest = max(villages, key=lambda v: v.wajib_ktp).kelurahan
    conn = connect(directory / f"edge-{office_residents}.sqlite3")
    try:
        insert_residents(conn, [r for r in residents if r.kelurahan == largest])
        secret = office_roster_secret(conn, cost=KdfCost(log2_n=1, r=1))  # sizes, not cost
        village = roster_digest(conn, largest)
        keys = lookup_keys(conn, secret, [entry.nik for entry in village.entries])
        return digest_message(village, NOW, secret, keys), len(residents)
    finally:
        conn.close()


def cycle(office_residents: int, directory: Path) -> Cycle:
    """One ring of recordings in the office's largest village, and the compaction after."""
    digest, residents = _largest_village(office_residents, directory)
    first = next_publication(None, digest, NOW, force=True)
    assert first is not None
    state: VillageVersion = first.state
    full_bytes = len(encode_message(first.message))
    recordings = state.ring + 1
    entries = dict(digest.entries)
    published = deltas = 0
    for key in list(entries)[:recordings]:
        entries[key] = entries[key].model_copy(
            update={"recorded_on": NOW.date(), "card_status": CardStatus.RECORDED}
        )
        changed = digest.model_copy(update={"entries": dict(entries)})
        step = next_publication(state, changed, NOW, force=False)
        assert step is not None
        published += len(encode_message(step.message))
        deltas += step.is_delta
        state = step.state
    return Cycle(residents, len(digest.entries), full_bytes, published, recordings, deltas)


def run(quick: bool) -> list[dict[str, Any]]:
    del quick  # one ring per office is quick already
    with tempfile.TemporaryDirectory(prefix="rekam-bench-deltas-") as tmp:
        small, large = (cycle(size, Path(tmp)) for size in OFFICES)
    rows = []
    for office, measured in zip(("5k", "30k"), (small, large), strict=True):
        rows.append(
            _row(
                f"roster_bytes_per_recording_{office}",
                measured.broker_kb(),
                "KB",
                f"whole village digest again ({measured.village_residents} residents, "
                f"{BOOTHS} booths)",
                measured.before_kb(),
            )
        )
    growth = large.broker_kb() / small.broker_kb()
    rows.append(
        _row(
            "roster_bytes_per_recording_30k_vs_5k",
            growth,
            "x",
            "residents 30k vs 5k",
            large.residents / small.residents,
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    print_table_main(run, argv, prog="python -m bench.roster_deltas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
