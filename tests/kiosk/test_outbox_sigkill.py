"""A booth may lose power or be killed at any instant: no reported commit may be lost.

Writers (separate processes) commit random packets to one outbox file and print each
id only after ``commit()`` returned. The test SIGKILLs them at random moments — while
opening the file, mid-commit, mid-update — at least 200 times, then checks that every
id any writer reported is present with its exact bytes and that SQLite finds the file
intact.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal

import pytest
from outbox_fixtures import integrity_check, run_writer_and_kill

from kiosk.outbox.store import Outbox, PacketState

KILLS = 220
EARLY_KILL_EVERY = 8  # one writer in 8 is killed while still starting / opening the file


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_reported_commit_survives_sigkill(tmp_path):
    db = tmp_path / "outbox.sqlite3"
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    reported: list[str] = []
    writers_that_committed = 0

    for kill in range(KILLS):
        result = run_writer_and_kill(db, rng, early_kill=kill % EARLY_KILL_EVERY == 0)
        assert result.returncode == -signal.SIGKILL, (
            f"writer died on its own (seed {seed}): {result.stderr}"
        )
        reported.extend(result.committed)
        writers_that_committed += bool(result.committed)
        if kill % 75 == 74:
            assert integrity_check(db) == "ok", f"seed {seed}"

    # The kills landed among commits, not only before the first one.
    assert writers_that_committed >= KILLS // 2, f"seed {seed}"
    assert integrity_check(db) == "ok", f"seed {seed}"

    with Outbox(db) as outbox:
        for packet_id in reported:
            record = outbox.get(packet_id)
            assert record is not None, f"reported packet {packet_id} lost (seed {seed})"
            assert record.sealed is not None
            assert record.state in (PacketState.SEALED, PacketState.SENT, PacketState.ACKED)
            assert hashlib.sha256(record.sealed).hexdigest() == record.meta["sha256"]
            assert record.size == len(record.sealed) == record.meta["size"]
        # Rows a writer committed but had no time to report are whole too.
        counts = outbox.counts()
        stored = counts[PacketState.SEALED] + counts[PacketState.SENT] + counts[PacketState.ACKED]
        assert stored >= len(set(reported))
        for record in outbox.unacked():
            assert record.sealed is not None
            assert hashlib.sha256(record.sealed).hexdigest() == record.sha256
