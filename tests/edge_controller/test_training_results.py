"""Issue 10's training acceptance in a real office: a practice session on a real booth
sends its result over the real broker to the edge, where it shows for that operator on
the dashboard and in the API — and recordings, queue, coverage and upstream stay as
they were."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.ingest.db import connect
from kiosk.booth import Booth
from kiosk.headless import HeadlessRunner
from kiosk.script import EnrollmentScript
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import RunningEdge, edge_config, running_edge
from tests.edge_controller.web_fixtures import add_edge_user, dashboard_client
from tests.kiosk.booth_fixtures import BoothSetup, resident_kk, resident_nik
from tests.kiosk.edge_office_fixtures import (
    booth_setup,
    office,
    register_booth_setup,
    running_booth,
)

OPERATOR_ID = "OP-0077"
STAFF = ("camat", "rahasia-kantor-123")
UNTOUCHED_TABLES = ("recordings", "ingested_packets", "queue_tickets", "queue_events")


@pytest.fixture
def setup(office: Office, tmp_path: Path) -> BoothSetup:
    return booth_setup(
        office, tmp_path, "booth-07", health_interval_seconds=1.0, reconnect_max_delay_seconds=2
    )


@pytest.fixture
def edge(office: Office, tmp_path: Path, setup: BoothSetup) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register_booth_setup(config, setup, "booth-07")
    add_edge_user(config.database.path, STAFF, "supervisor", display_name="Pak Camat")
    yield from running_edge(config)


@pytest.fixture
def booth(setup: BoothSetup, edge: RunningEdge, smartcard_pcscd: object) -> Iterator[Booth]:
    with running_booth(setup) as built:
        yield built


def counts(edge: RunningEdge) -> dict[str, int]:
    conn = edge.db()
    try:
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in UNTOUCHED_TABLES
        }
    finally:
        conn.close()


def practised(edge: RunningEdge) -> list[tuple[str, str, int]]:
    conn = edge.db()
    try:
        rows = conn.execute("SELECT operator_id, booth_id, score FROM training_results")
        return [(r[0], r[1], r[2]) for r in rows.fetchall()]
    finally:
        conn.close()


def test_practice_result_reaches_the_edge_and_nothing_else_does(
    booth: Booth, edge: RunningEdge
) -> None:
    assert booth.uplink is not None
    assert wait_for(lambda: booth.uplink is not None and booth.uplink.connected, timeout=30)
    before = counts(edge)
    script = EnrollmentScript.model_validate(
        {
            "mode": "training",
            "operator": {"operator_id": OPERATOR_ID, "name": "Rina Trainee"},
            "residents": [{"nik": resident_nik(5), "kk": resident_kk(6), "name": "ignored"}],
        }
    )
    outcome = HeadlessRunner(booth, script).run()
    assert outcome.training is not None
    score = outcome.training.score

    assert wait_for(lambda: practised(edge) == [(OPERATOR_ID, "booth-07", score)], timeout=30)
    assert booth.training is not None
    assert wait_for(lambda: booth.outbox.sendables.sendables_waiting() == 0)
    assert booth.outbox.depth() == 0
    assert counts(edge) == before  # no recording, packet, ticket or queue event

    with dashboard_client(edge.config.database.path, STAFF) as client:
        page = client.get("/training")
        assert page.status_code == 200
        assert f'data-operator="{OPERATOR_ID}"' in page.text
        api = client.get("/api/v1/training", params={"operator": OPERATOR_ID}).json()
        (operator,) = api["operators"]
        assert operator["operator_id"] == OPERATOR_ID
        assert operator["sessions"] == 1
        assert operator["residents_completed"] == 1
        assert operator["latest_score"] == score
        assert operator["average_seconds_per_resident"] > 0
        assert len(operator["quality_trend"]) == 1
        assert operator["quality_trend"][0] > 0
        coverage = client.get("/coverage")
        assert coverage.status_code == 200
        assert client.get("/api/v1/training", params={"operator": "OP-9999"}).json() == {
            "operators": []
        }


def test_a_resent_result_is_stored_once(tmp_path: Path) -> None:
    from edge_controller.training import operator_practice, store_training_result  # noqa: PLC0415
    from ektp.messages import TrainingResultMessage  # noqa: PLC0415

    now = dt.datetime.now(dt.UTC)
    result = TrainingResultMessage.model_validate(
        {
            "booth_id": "booth-07",
            "result_id": "8b0f8c1e-2d7e-4a8e-9a51-0d1c2b3a4f5e",
            "operator_id": OPERATOR_ID,
            "started_at": now.isoformat(),
            "finished_at": now.isoformat(),
            "residents": [
                {
                    "ticket": "L-001",
                    "completed": True,
                    "seconds": 240.0,
                    "steps": [{"step": "finger:right_thumb", "seconds": 9.5, "quality": 80}],
                }
            ],
            "score": 77,
        }
    )
    conn = connect(tmp_path / "edge.sqlite3")
    try:
        assert store_training_result(conn, result, now) is True
        assert store_training_result(conn, result, now) is False
        (practice,) = operator_practice(conn)
    finally:
        conn.close()
    assert practice.session_count == 1
    assert practice.average_seconds_per_resident == 240.0
    assert practice.quality_trend == [80.0]
