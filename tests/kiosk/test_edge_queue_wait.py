"""The booth's ticket carries the edge's estimated wait, found by the check-in's request id;
the queue's refusals reach the booth with their reason, and a NIK already waiting gets its
ticket again. The booth is registered: its roster feed opens the office roster key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import resident_kk, resident_nik

from kiosk.flow.ports import CheckIn, InMemoryRoster
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.desk import EdgeTicketDesk, QueueRefused
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import BoothKit, RunningEdge, running_edge
from tests.kiosk.edge_office_fixtures import (
    checkin,
    feed_with_office_key,
    kit,
    office,
    office_edge_config,
)


@pytest.fixture
def edge(office: Office, tmp_path: Path, kit: BoothKit) -> Iterator[RunningEdge]:
    queue = {"priority_enabled": True, "default_service_minutes": 12}
    yield from running_edge(office_edge_config(office, tmp_path, [kit], queue=queue))


def desk_of(uplink: BoothUplink, kit: BoothKit, tmp_path: Path) -> EdgeTicketDesk:
    """The booth's desk, sealing check-ins with the key its roster feed opened."""
    feed = feed_with_office_key(kit, tmp_path / "roster", uplink)
    return EdgeTicketDesk(
        uplink,
        booth_id="booth-01",
        roster=InMemoryRoster(),
        documents_for=lambda s: ["kk"],
        secret=lambda: feed.secret,
    )


def test_the_ticket_shows_the_edge_estimated_wait(
    edge: RunningEdge, kit: BoothKit, tmp_path: Path
) -> None:
    with kit.uplink() as uplink:
        assert wait_for(lambda: uplink.connected, timeout=30)
        desk = desk_of(uplink, kit, tmp_path)
        first = desk.issue(checkin(1))
        second = desk.issue(checkin(2))
        elder = desk.issue(checkin(3, priority=True))
        # the same resident again while waiting: the same ticket, not a second one
        again = desk.issue(checkin(2))

    assert (first.number, second.number, elder.number) == ("A-001", "A-002", "A-003")
    assert again.number == "A-002"
    assert first.estimated_wait_minutes == 12  # nobody called yet: the office's default
    assert second.estimated_wait_minutes == 24
    assert elder.estimated_wait_minutes == 12  # priority: served next
    queue = uplink.latest_queue
    assert queue is not None
    assert [t.number for t in queue.waiting] == ["A-003", "A-001", "A-002"]
    assert [t.estimated_wait_minutes for t in queue.waiting] == [12, 24, 36]
    assert queue.waiting[0].priority


def test_a_nik_breaking_the_rules_is_refused_with_the_reason(
    edge: RunningEdge, kit: BoothKit, tmp_path: Path
) -> None:
    bad = CheckIn(
        service="new_recording",
        nik=resident_nik(1)[:12] + "0000",  # serial 0000: no NIK has it
        kk=resident_kk(1),
        name="",
        kelurahan="Tasuk",
        in_roster=False,
        documents=("kk",),
    )
    with kit.uplink() as uplink:
        assert wait_for(lambda: uplink.connected, timeout=30)
        with pytest.raises(QueueRefused) as refused:
            desk_of(uplink, kit, tmp_path).issue(bad)
    assert refused.value.code == "nik.serial"
    assert "0000" in refused.value.localized("id")
    assert uplink.latest_queue is not None
    assert uplink.latest_queue.waiting == ()
