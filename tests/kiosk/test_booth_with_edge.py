"""A real booth in a real office: check-in takes its number from the edge queue, the
operator calls it from the edge, and the sealed record reaches the edge by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import BoothSetup, resident_kk, resident_nik

from kiosk.booth import Booth
from kiosk.headless import HeadlessRunner
from kiosk.script import EnrollmentScript
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, running_edge
from tests.kiosk.edge_office_fixtures import (
    booth_setup,
    office,
    register_booth_setup,
    running_booth,
)


@pytest.fixture
def setup(office: Office, tmp_path: Path) -> BoothSetup:
    return booth_setup(
        office,
        tmp_path,
        ack_timeout_seconds=5.0,
        health_interval_seconds=1.0,
        reconnect_max_delay_seconds=2,
    )


@pytest.fixture
def edge(office: Office, tmp_path: Path, setup: BoothSetup) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register_booth_setup(config, setup)
    yield from running_edge(config)


@pytest.fixture
def booth(setup: BoothSetup, edge: RunningEdge, smartcard_pcscd: object) -> Iterator[Booth]:
    with running_booth(setup) as built:
        yield built


def test_a_resident_recorded_at_the_booth_arrives_at_the_edge(
    booth: Booth, edge: RunningEdge
) -> None:
    assert booth.uplink is not None
    assert wait_for(lambda: booth.uplink is not None and booth.uplink.connected, timeout=30)
    script = EnrollmentScript.model_validate(
        {"residents": [{"nik": resident_nik(41), "kk": resident_kk(42), "name": "Nur Aini"}]}
    )
    outcome = HeadlessRunner(booth, script).run()
    (resident,) = outcome.residents
    assert resident.ticket == "A-001"  # numbered by the edge queue, not the booth

    def stored() -> int:
        conn = edge.db()
        try:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM ingested_packets WHERE packet_id = ?",
                    (resident.packet_id,),
                ).fetchone()[0]
            )
        finally:
            conn.close()

    assert wait_for(lambda: stored() == 1, timeout=30)
    assert wait_for(lambda: booth.outbox.depth() == 0, timeout=30)  # acked back to the booth
    conn = edge.db()
    try:
        recorded = conn.execute("SELECT nik, booth_id FROM recordings").fetchall()
    finally:
        conn.close()
    assert [(r[0], r[1]) for r in recorded] == [(resident_nik(41), "booth-01")]
