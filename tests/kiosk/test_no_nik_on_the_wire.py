"""Nothing on the office network carries a resident's NIK or KK in clear.

A demo-like office: the real broker (TLS, the ACL), the edge service with the demo's
synthetic roster of Kecamatan Gunung Tabur, two registered booths whose residents check
in through the real check-in flow (the roster digests and the office roster key they
receive, the edge queue). Meanwhile a third booth's certificate subscribes to ``#`` and
to every office topic for 10 s and keeps every payload: no NIK or KK of the roster may
appear in any of them — and yet the booths check residents in, get their tickets, and
call them from either booth.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.roster import gunung_tabur_counts, synthetic_roster
from ektp.topics import (
    OFFICE_CRL,
    OFFICE_POWER,
    OFFICE_QUEUE,
    OFFICE_REVIEWS,
    OFFICE_ROSTER_KEYS,
    OFFICE_ROSTER_PREFIX,
)
from kiosk.audit import AuditLog
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.flow.ports import Ticket
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.desk import EdgeTicketDesk
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Inbox, Office, wait_for
from tests.edge_controller.ingest_fixtures import BoothKit, RunningEdge, running_edge
from tests.kiosk.edge_office_fixtures import kits, office, office_edge_config

WATCH_SECONDS = 10.0
EVERY_OFFICE_TOPIC = (
    "#",
    OFFICE_POWER,
    OFFICE_QUEUE,
    OFFICE_ROSTER_PREFIX + "+",
    OFFICE_ROSTER_KEYS,
    OFFICE_REVIEWS,
    OFFICE_CRL,
    "office/#",
)


@pytest.fixture
def residents():
    villages = [
        dataclasses.replace(v, wajib_ktp=max(5, round(v.wajib_ktp * 0.02)))
        for v in gunung_tabur_counts()
    ]  # the demo's share of the office
    return synthetic_roster(villages, adult_on=dt.date.today())


@pytest.fixture
def edge(
    office: Office, tmp_path: Path, residents, kits: dict[str, BoothKit]
) -> Iterator[RunningEdge]:
    yield from running_edge(office_edge_config(office, tmp_path, kits.values(), residents))


@dataclasses.dataclass
class BoothAtWork:
    """One booth's uplink, roster feed, ticket desk and check-in flow."""

    uplink: BoothUplink
    feed: RosterFeed
    desk: EdgeTicketDesk
    flow: CheckInFlow

    def check_in(self, nik: str, kk: str) -> Ticket:
        flow = self.flow
        flow.start("id")
        flow.choose_service("new_recording")
        flow.enter_nik(nik)
        flow.enter_kk(kk)
        assert flow.step is CheckInStep.CONFIRM  # found in the roster, the KK matches
        flow.confirm_name(True)
        ticket = flow.accept_documents()
        flow.finish()
        return ticket


@contextlib.contextmanager
def booth_at_work(kit: BoothKit, directory: Path, villages: int) -> Iterator[BoothAtWork]:
    feed = RosterFeed(directory / "roster", booth_id=kit.booth_id, booth_key=kit.signing_key)
    with kit.uplink() as uplink:
        feed.attach(uplink.client)
        assert wait_for(lambda: len(feed.villages()) == villages and feed.secret, timeout=60)
        desk = EdgeTicketDesk(
            uplink,
            booth_id=kit.booth_id,
            roster=feed,
            documents_for=lambda s: ["kk"],
            booth_key=kit.signing_key,
        )
        flow = CheckInFlow(
            roster=feed,
            tickets=desk,
            audit=AuditLog(directory / "audit.sqlite"),
            documents_for=lambda s: ["kk"],
            services=["new_recording"],
        )
        yield BoothAtWork(uplink, feed, desk, flow)
    feed.close()


def test_a_booth_certificate_watching_everything_sees_no_nik_or_kk(
    office: Office, edge: RunningEdge, kits: dict[str, BoothKit], residents, tmp_path: Path
) -> None:
    villages = len({r.kelurahan for r in residents})
    watcher = Inbox()
    client = office.client("booth-03")  # a booth certificate of this office
    for topic_filter in EVERY_OFFICE_TOPIC:
        client.subscribe(topic_filter, watcher)

    with (
        booth_at_work(kits["booth-01"], tmp_path / "b1", villages) as first,
        booth_at_work(kits["booth-02"], tmp_path / "b2", villages) as second,
    ):
        started = time.monotonic()
        tickets: list[Ticket] = []
        calls: list[Ticket] = []
        people = iter(residents[::7])
        while time.monotonic() - started < WATCH_SECONDS:
            booth = first if len(tickets) % 2 == 0 else second
            person = next(people)
            tickets.append(booth.check_in(person.nik, person.kk))
            if len(tickets) in (3, 6):  # booth-02 calls A-001 (booth-01's), then A-002 (its own)
                called = second.desk.call_next("booth-02")
                assert called is not None
                calls.append(called)
            time.sleep(0.5)

    assert tickets[0].number == "A-001"
    # checked in at booth-01, called at booth-02: booth-02 opens the resident's NIK and
    # KK the edge sealed to its key (the watcher sees only that ciphertext), and has the
    # masked name and the village from its roster digest
    assert (calls[0].number, calls[0].checkin.nik) == ("A-001", tickets[0].checkin.nik)
    assert calls[0].checkin.kk == tickets[0].checkin.kk
    assert calls[0].checkin.name == tickets[0].checkin.name
    assert calls[0].checkin.kelurahan == tickets[0].checkin.kelurahan
    # checked in and called at booth-02: its own check-in, NIK and all
    assert calls[1].number == "A-002"
    assert calls[1].checkin.nik == tickets[1].checkin.nik

    assert wait_for(lambda: len(watcher.messages) > 0, timeout=5)
    topics = {m.topic for m in watcher.messages}
    assert OFFICE_QUEUE in topics  # the watcher did see the queue, the digests, the key
    assert OFFICE_ROSTER_KEYS in topics
    assert any(t.startswith(OFFICE_ROSTER_PREFIX) for t in topics)
    numbers = {r.nik for r in residents} | {r.kk for r in residents}
    leaks = [
        (m.topic, number)
        for m in watcher.messages
        for number in numbers
        if number.encode() in m.payload
    ]
    assert leaks == []
    assert len(tickets) >= 4
