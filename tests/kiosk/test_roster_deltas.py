"""A recording reaches the booths as a versioned delta; a booth that missed some catches up.

A real office: mosquitto with TLS and the ACL, the edge service publishing digests and
deltas, the booth's own uplink following them (:class:`kiosk.uplink.roster_feed.RosterFeed`).
The booth is registered, so the office roster key comes sealed to it. Changes are made
in the edge database by another program (as the dashboard or an import would), which
the edge notices on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.config.edge import EdgeConfig
from edge_controller.roster.store import record_enrollment
from ektp.mqtt.message import ReceivedMessage
from ektp.topics import OFFICE_ROSTER_KEYS, ROSTER_DELTA_SUBSCRIPTION
from kiosk.audit import AuditLog
from kiosk.config.mobile import MobileSettings
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.flow.ports import InMemoryTicketDesk
from kiosk.mobile.duty import MobileDuty
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Inbox, Office, wait_for
from tests.edge_controller.ingest_fixtures import BoothKit, RunningEdge, running_edge
from tests.kiosk.edge_office_fixtures import (
    FAST_ROSTER,
    RECORDED_AT,
    booth_roster_feed,
    followed_roster_feed,
    kit,
    office,
    office_edge_config,
    two_village_roster,
)


@pytest.fixture
def residents():
    return two_village_roster(tasuk_adults=8, seed=7)


@pytest.fixture
def office_edge(office: Office, tmp_path: Path, residents, kit: BoothKit) -> EdgeConfig:
    """The edge's configuration, its roster and the booth registered; not started."""
    return office_edge_config(office, tmp_path, [kit], residents, roster=FAST_ROSTER)


@pytest.fixture
def edge(office_edge: EdgeConfig) -> Iterator[RunningEdge]:
    yield from running_edge(office_edge)


def tasuk(residents) -> list:
    return [r for r in residents if r.kelurahan == "Tasuk"]


def record(edge: RunningEdge, resident, number: int) -> None:
    """The resident is recorded (committed by another program: the edge notices)."""
    conn = edge.db()
    try:
        record_enrollment(conn, resident.nik, f"pkt-{number}", "booth-02", "Tasuk", RECORDED_AT)
    finally:
        conn.close()


def deltas_sent(edge: RunningEdge) -> int:
    return edge.service.roster_publisher.deltas


def record_and_wait(edge: RunningEdge, resident, number: int) -> None:
    before = deltas_sent(edge)
    record(edge, resident, number)
    assert wait_for(lambda: deltas_sent(edge) == before + 1, timeout=30)


def version(feed: RosterFeed) -> int | None:
    copy = feed.villages().get("Tasuk")
    return None if copy is None else copy.version


def recorded_on(feed: RosterFeed, resident) -> dt.date | None:
    entry = feed.find(resident.nik)
    assert entry is not None
    return entry.recorded_on


def test_a_recording_arrives_as_a_delta_and_the_booth_works_offline_with_it(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path
) -> None:
    directory = tmp_path / "roster"
    person = tasuk(residents)[0]
    with followed_roster_feed(kit, directory) as feed:
        first = version(feed)
        assert first is not None
        digest_on_disk = (directory / "tasuk.json").read_bytes()
        assert recorded_on(feed, person) is None

        record(edge, person, 1)

        assert wait_for(lambda: version(feed) == first + 1, timeout=30)
        assert recorded_on(feed, person) == RECORDED_AT.date()
        assert (directory / "tasuk.json").read_bytes() == digest_on_disk  # no digest again
        assert (directory / "tasuk.deltas").stat().st_size < 1000  # one entry, not the village

    # mobile duty: no edge, no broker; the copy on disk has the recording
    offline = booth_roster_feed(kit, directory)
    assert version(offline) == first + 1
    now = dt.datetime.now(dt.UTC)
    state = MobileDuty(tmp_path / "data", MobileSettings(min_free_disk_mb=1)).start(
        ["Tasuk"], offline, now
    )
    assert state.villages == ("Tasuk",)
    flow = CheckInFlow(
        roster=offline,
        tickets=InMemoryTicketDesk(),
        audit=AuditLog(tmp_path / "audit.sqlite"),
        documents_for=lambda service: ["kk"],
        services=["new_recording"],
    )
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(person.nik)
    assert flow.step is CheckInStep.ALREADY_RECORDED  # a second recording is refused
    flow.cancel()
    other = tasuk(residents)[1]
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(other.nik)
    flow.enter_kk(other.kk)
    assert flow.step is CheckInStep.CONFIRM


def test_a_booth_restarting_on_an_old_copy_catches_up_from_the_retained_deltas(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path
) -> None:
    directory = tmp_path / "roster"
    with followed_roster_feed(kit, directory) as feed:
        old = version(feed)
    assert old is not None
    digest_on_disk = (directory / "tasuk.json").read_bytes()
    first, second = tasuk(residents)[:2]
    record_and_wait(edge, first, 1)  # while the booth is off
    record_and_wait(edge, second, 2)

    restarted = booth_roster_feed(kit, directory)
    assert version(restarted) == old  # what it carried
    with kit.uplink() as uplink:
        restarted.attach(uplink.client)
        assert wait_for(lambda: version(restarted) == old + 2, timeout=30)
        assert recorded_on(restarted, first) == recorded_on(restarted, second)
        assert recorded_on(restarted, first) == RECORDED_AT.date()
    restarted.close()
    assert (directory / "tasuk.json").read_bytes() == digest_on_disk  # deltas only
    assert version(RosterFeed(directory)) == old + 2  # and kept on disk


def test_a_gap_the_deltas_cannot_bridge_is_closed_by_the_full_digest(
    office_edge: EdgeConfig, kit: BoothKit, residents, tmp_path: Path
) -> None:
    directory = tmp_path / "roster"
    first, second = tasuk(residents)[:2]
    with contextlib.contextmanager(running_edge)(office_edge) as edge:
        with followed_roster_feed(kit, directory) as feed:
            old = version(feed)
        assert old is not None
        record_and_wait(edge, first, 1)  # a delta from the version the booth holds...
    # ...then the edge restarts: every village in full, at a new version
    again = RunningEdge(office_edge)
    try:
        assert wait_for(lambda: again.service.roster_publisher.published >= 2, timeout=30)
        record_and_wait(again, second, 2)  # and a delta onto that version only

        with followed_roster_feed(kit, directory) as back:
            assert wait_for(lambda: recorded_on(back, second) == RECORDED_AT.date(), 30)
            assert recorded_on(back, first) == RECORDED_AT.date()
            current = version(back)
            assert current is not None
            assert current > old + 1  # the full digest's version, plus its delta
            late = tmp_path / "late"  # a booth joining now lands on the same version
            with followed_roster_feed(kit, late) as joined:
                assert wait_for(lambda: version(joined) == current, timeout=30)
    finally:
        again.stop()


def capture(kit: BoothKit, edge: RunningEdge, residents) -> list[ReceivedMessage]:
    """Everything a booth receives: the retained key, digests and ring, then 3 deltas."""
    inbox = Inbox()
    with kit.uplink() as uplink:
        uplink.client.wait_until_connected(30)
        for topic_filter in (OFFICE_ROSTER_KEYS, "office/roster/+", ROSTER_DELTA_SUBSCRIPTION):
            uplink.client.subscribe(topic_filter, inbox)
        assert wait_for(lambda: len(inbox.messages) >= 3, timeout=30)
        for number, resident in enumerate(tasuk(residents)[:3], start=1):
            record_and_wait(edge, resident, number)
        assert wait_for(lambda: sum("/delta/" in m.topic for m in inbox.messages) == 3, 30)
    return list(inbox.messages)


def test_deltas_out_of_order_wait_for_their_base_and_duplicates_are_dropped(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path
) -> None:
    messages = capture(kit, edge, residents)
    keys = [m for m in messages if m.topic == OFFICE_ROSTER_KEYS]
    digest = next(m for m in messages if m.topic == "office/roster/tasuk")
    d1, d2, d3 = [m for m in messages if m.topic.startswith("office/roster/tasuk/delta/")]
    first, second, third = tasuk(residents)[:3]

    def fresh(name: str) -> RosterFeed:
        feed = booth_roster_feed(kit, tmp_path / name)
        assert feed.receive(keys[-1].topic, keys[-1].payload)
        return feed

    # deltas before the digest they build on (a retained digest after live deltas)
    feed = fresh("reversed")
    for message in (d3, d2, d1):
        assert not feed.receive(message.topic, message.payload)
    assert "Tasuk" not in feed.villages()
    assert feed.receive(digest.topic, digest.payload)
    assert [recorded_on(feed, r) for r in (first, second, third)] == [RECORDED_AT.date()] * 3

    # a missing delta: the booth keeps answering from the version it holds
    feed = fresh("gap")
    feed.receive(digest.topic, digest.payload)
    held = version(feed)
    assert held is not None
    assert not feed.receive(d2.topic, d2.payload)
    assert not feed.receive(d3.topic, d3.payload)
    assert version(feed) == held
    assert recorded_on(feed, second) is None
    assert feed.receive(d1.topic, d1.payload)  # the missing one: all three now apply
    assert version(feed) == held + 3
    assert recorded_on(feed, third) == RECORDED_AT.date()

    # sent twice (QoS 1), or the ring again on reconnect: applied once
    assert not feed.receive(d2.topic, d2.payload)
    assert not feed.receive(digest.topic, digest.payload)  # the older retained digest
    assert version(feed) == held + 3
    restarted = booth_roster_feed(kit, tmp_path / "gap")
    assert version(restarted) == held + 3
    assert recorded_on(restarted, third) == RECORDED_AT.date()
