"""A booth may lose power or be killed at any instant: no reported commit may be lost.

Writers (separate processes, forked from the test with the outbox code loaded) commit
random packets to one outbox file and print each id only after ``commit()`` returned.
The test SIGKILLs them at random moments — while opening the file, mid-commit,
mid-update — at least 200 times, then checks that every id any writer reported is
present with its exact bytes and that SQLite finds the file intact.

Events too: booth processes record check-ins and card deliveries while their real
uplink sends them to a real mosquitto and edge; they are killed at random moments
(mid-commit, mid-publish, before the PUBACK), restarted, and finally drained. Every
event a booth reported kept arrives at the edge exactly once: on the edge's record of
received events, and for check-ins, one queue ticket each.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox_fixtures import (
    fork_writer_and_kill,
    integrity_check,
    run_writer_and_kill,
    run_writer_to_end,
)

from edge_controller.roster.secret import office_roster_secret
from kiosk.outbox.store import Outbox, PacketState
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, running_edge

KILLS = 220
EARLY_KILL_EVERY = 8  # one writer in 8 is killed while still starting / opening the file
EVENT_KILLS = 30
BOOTH_ID = "booth-01"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_reported_commit_survives_sigkill(tmp_path):
    db = tmp_path / "outbox.sqlite3"
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    reported: list[str] = []
    writers_that_committed = 0

    for kill in range(KILLS):
        result = fork_writer_and_kill(db, rng, early_kill=kill % EARLY_KILL_EVERY == 0)
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


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path)


@pytest.fixture
def edge(office: Office, tmp_path: Path) -> Iterator[RunningEdge]:
    yield from running_edge(edge_config(office, tmp_path))


def link_file(office: Office, path: Path, edge: RunningEdge) -> Path:
    issued = office.identity(BOOTH_ID)
    conn = edge.db()
    try:  # what the booth opens from office/roster_keys, handed to the writer process
        secret = office_roster_secret(conn)
    finally:
        conn.close()
    link = {
        "roster_secret": secret.key.hex(),
        "booth_id": BOOTH_ID,
        "host": office.broker.host,
        "port": office.broker.port,
        "ca_cert_path": str(office.ca.cert_path),
        "cert_path": str(issued.cert_path),
        "key_path": str(issued.key_path),
    }
    path.write_text(json.dumps(link), "utf-8")
    return path


def edge_events(edge: RunningEdge) -> dict[str, str]:
    """Event id → kind, as the edge received them (each id once)."""
    conn = edge.db()
    try:
        rows = conn.execute(
            "SELECT event_id, kind FROM booth_events WHERE booth_id = ?", (BOOTH_ID,)
        )
        return {row[0]: row[1] for row in rows}
    finally:
        conn.close()


def queue_tickets(edge: RunningEdge) -> list[tuple[str, str]]:
    """(request id, NIK) of every queue ticket the booth's check-ins got."""
    conn = edge.db()
    try:
        query = "SELECT request_id, nik FROM queue_tickets WHERE from_booth = ?"
        return [(row[0], row[1]) for row in conn.execute(query, (BOOTH_ID,))]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_kept_event_reaches_the_edge_exactly_once_through_sigkills(
    office: Office, edge: RunningEdge, tmp_path: Path
) -> None:
    db = tmp_path / "booth" / "outbox.sqlite"
    db.parent.mkdir()
    mode = ("events", str(link_file(office, tmp_path / "link.json", edge)))
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    reported: dict[str, str] = {}
    for kill in range(EVENT_KILLS):
        result = run_writer_and_kill(
            db, rng, early_kill=kill % EARLY_KILL_EVERY == 0, max_delay_s=0.4, mode=mode
        )
        assert result.returncode == -signal.SIGKILL, (
            f"booth died on its own (seed {seed}): {result.stderr}"
        )
        reported.update({event_id: kind for kind, event_id in result.events})
    assert integrity_check(db) == "ok", f"seed {seed}"
    kinds = Counter(reported.values())
    assert kinds["check_in"] >= EVENT_KILLS, kinds  # the kills landed among the events
    assert kinds["card_delivered"] >= EVENT_KILLS, kinds

    finished = run_writer_to_end(db, ("drain", mode[1]))
    assert finished.returncode == 0, f"the booth did not drain (seed {seed}): {finished.stderr}"
    with Outbox(db) as outbox:
        assert outbox.sendables.sendables_waiting() == 0

    # every event the booths reported kept is at the edge (lost: none)...
    assert wait_for(lambda: reported.keys() <= edge_events(edge).keys(), timeout=60), (
        f"lost (seed {seed}): {sorted(reported.keys() - edge_events(edge).keys())[:5]}"
    )
    received = edge_events(edge)
    for event_id, kind in reported.items():
        assert received[event_id] == kind
    # ...and counted once: one queue ticket per check-in the edge received, one per
    # resident (each writer's resident checks in once), so nothing was duplicated
    check_ins = {event_id for event_id, kind in received.items() if kind == "check_in"}
    assert wait_for(lambda: {r for r, _ in queue_tickets(edge)} == check_ins, timeout=60)
    tickets = queue_tickets(edge)
    assert len(tickets) == len(check_ins)
    per_resident = Counter(nik for _, nik in tickets)
    assert [copies for copies in per_resident.values() if copies > 1] == []
