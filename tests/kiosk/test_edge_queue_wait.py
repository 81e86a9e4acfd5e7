"""The booth's ticket carries the edge's estimated wait, found by the check-in's request id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import resident_kk, resident_nik

from kiosk.flow.ports import CheckIn, InMemoryRoster
from kiosk.uplink.desk import EdgeTicketDesk
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    edge_config,
    make_booth,
    running_edge,
)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


@pytest.fixture
def edge(office: Office, tmp_path: Path) -> Iterator[RunningEdge]:
    config = edge_config(
        office, tmp_path, queue={"priority_enabled": True, "default_service_minutes": 12}
    )
    yield from running_edge(config)


@pytest.fixture
def kit(office: Office, tmp_path: Path) -> Iterator[BoothKit]:
    booth = make_booth(office, tmp_path / "booths", "booth-01")
    try:
        yield booth
    finally:
        booth.close()


def checkin(serial: int, *, priority: bool = False) -> CheckIn:
    return CheckIn(
        service="new_recording",
        nik=resident_nik(serial),
        kk=resident_kk(serial),
        name="",
        kelurahan="Tasuk",
        in_roster=False,
        documents=("kk",),
        priority=priority,
    )


def test_the_ticket_shows_the_edge_estimated_wait(edge: RunningEdge, kit: BoothKit) -> None:
    with kit.uplink() as uplink:
        assert wait_for(lambda: uplink.connected, timeout=30)
        desk = EdgeTicketDesk(
            uplink, booth_id="booth-01", roster=InMemoryRoster(), documents_for=lambda s: ["kk"]
        )
        first = desk.issue(checkin(1))
        second = desk.issue(checkin(2))
        # the same resident twice in one second cannot be confused: matched by request id
        elder = desk.issue(checkin(2, priority=True))

    assert (first.number, second.number, elder.number) == ("A-001", "A-002", "A-003")
    assert first.estimated_wait_minutes == 12  # nobody called yet: the office's default
    assert second.estimated_wait_minutes == 24
    assert elder.estimated_wait_minutes == 12  # priority: served next
    queue = uplink.latest_queue
    assert queue is not None
    assert [t.number for t in queue.waiting] == ["A-003", "A-001", "A-002"]
    assert [t.estimated_wait_minutes for t in queue.waiting] == [12, 24, 36]
    assert queue.waiting[0].priority
