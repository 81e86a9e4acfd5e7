"""A resident checks in at one booth and is called at another: the calling booth gets the
NIK and KK of that check-in (sealed by the edge to its key) and records the resident.

The real broker (TLS, the ACL) and the edge service; booths ``booth-01`` and
``booth-02`` registered, each with its own signing key. A third booth certificate reads
``office/queue`` too: it sees the called ticket's resident only as ciphertext that its
key (or the other booth's) does not open, and that opens on no other ticket. A booth
restarted between its own check-in and the call still gets the NIK.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import resident_kk, resident_nik

from ektp.messages import QueueMessage, parse_message
from ektp.roster_seal import RosterSealError, called_ticket_context, open_resident
from ektp.topics import OFFICE_QUEUE
from kiosk.flow.ports import Ticket
from kiosk.uplink.desk import EdgeTicketDesk
from tests.edge_controller.broker_fixtures import Inbox, Office, wait_for
from tests.edge_controller.ingest_fixtures import BoothKit, RunningEdge, make_booth, running_edge
from tests.kiosk.edge_office_fixtures import (
    checkin,
    feed_with_office_key,
    kits,
    office,
    office_edge_config,
)


@pytest.fixture
def edge(office: Office, tmp_path: Path, kits: dict[str, BoothKit]) -> Iterator[RunningEdge]:
    yield from running_edge(office_edge_config(office, tmp_path, kits.values()))


@contextlib.contextmanager
def booth_desk(kit: BoothKit, directory: Path) -> Iterator[EdgeTicketDesk]:
    """One run of a booth: its uplink, roster feed (the office key) and ticket desk."""
    with kit.uplink() as uplink:
        feed = feed_with_office_key(kit, directory / "roster", uplink)
        assert wait_for(lambda: uplink.connected, timeout=30)
        yield EdgeTicketDesk(
            uplink,
            booth_id=kit.booth_id,
            roster=feed,
            documents_for=lambda s: ["kk"],
            booth_key=kit.signing_key,
        )
    feed.close()


def recorded_niks(edge: RunningEdge) -> list[tuple[str, str]]:
    """(NIK, booth) of every recording the edge committed."""
    conn = edge.db()
    try:
        rows = conn.execute("SELECT nik, booth_id FROM recordings").fetchall()
    finally:
        conn.close()
    return [(r[0], r[1]) for r in rows]


def record(kit: BoothKit, ticket: Ticket) -> None:
    """The operator's capture sealed from the called ticket, committed for the edge."""
    resident = ticket.checkin
    packet = kit.seal(
        nik=resident.nik, kk=resident.kk, kelurahan=resident.kelurahan, ticket=ticket.number
    )
    kit.outbox.commit(str(packet.packet_id), packet.data, {"kelurahan": resident.kelurahan})
    kit.uplinks[-1].wake()


def test_a_resident_checked_in_at_one_booth_is_recorded_at_another(
    office: Office, edge: RunningEdge, kits: dict[str, BoothKit], tmp_path: Path
) -> None:
    watcher = Inbox()
    office.client("booth-03").subscribe(OFFICE_QUEUE, watcher)  # a third certificate
    stranger = make_booth(office, tmp_path / "booths", "booth-03")  # and its own key
    first, second = kits["booth-01"], kits["booth-02"]
    with (
        booth_desk(first, tmp_path / "b1") as at_first,
        booth_desk(second, tmp_path / "b2") as at_second,
    ):
        issued = at_first.issue(checkin(7))
        also_issued = at_first.issue(checkin(8))
        called = at_second.call_next("booth-02")
        assert called is not None
        record(second, called)
        assert wait_for(lambda: len(recorded_niks(edge)) == 1, timeout=30)
        queue = second.uplinks[-1].latest_queue
        assert queue is not None
        (still_waiting,) = queue.waiting
    stranger.close()

    # booth-02 has the resident's own NIK and KK, from booth-01's check-in
    assert (issued.number, called.number) == ("A-001", "A-001")
    assert (called.checkin.nik, called.checkin.kk) == (resident_nik(7), resident_kk(7))
    assert called.checkin.kelurahan == "Tasuk"
    assert recorded_niks(edge) == [(resident_nik(7), "booth-02")]

    # what every other certificate reads on office/queue: ciphertext, no NIK
    seen = [parse_message(OFFICE_QUEUE, m.payload) for m in watcher.messages]
    calls = [q.called["booth-02"] for q in seen if isinstance(q, QueueMessage) and q.called]
    assert calls
    assert all(resident_nik(7).encode() not in m.payload for m in watcher.messages)
    sealed = calls[-1].resident_sealed
    assert sealed is not None
    context = called_ticket_context("booth-02", "A-001", str(calls[-1].request_id))
    for other_key in (stranger.signing_key, first.signing_key):  # a third booth, booth-01
        with pytest.raises(RosterSealError):
            open_resident(sealed.sealed(), other_key, context)
    # and booth-02's own key opens it only as this ticket (not as A-002, say)
    assert open_resident(sealed.sealed(), second.signing_key, context)[0] == resident_nik(7)
    assert still_waiting.number == also_issued.number == "A-002"
    assert still_waiting.resident_sealed is None  # waiting tickets carry no resident
    replayed = called_ticket_context("booth-02", "A-002", str(still_waiting.request_id))
    with pytest.raises(RosterSealError):
        open_resident(sealed.sealed(), second.signing_key, replayed)


def test_a_booth_restarted_after_its_own_check_in_still_gets_the_nik(
    edge: RunningEdge, kits: dict[str, BoothKit], tmp_path: Path
) -> None:
    booth = kits["booth-01"]
    with booth_desk(booth, tmp_path / "b1") as before_restart:
        issued = before_restart.issue(checkin(9))
    # the booth restarts: a new uplink, a new desk, nothing of the check-in in memory
    with booth_desk(booth, tmp_path / "b1") as after_restart:
        called = after_restart.call_next("booth-01")
        assert called is not None
        record(booth, called)
        assert wait_for(lambda: len(recorded_niks(edge)) == 1, timeout=30)

    assert called.number == issued.number == "A-001"
    assert (called.checkin.nik, called.checkin.kk) == (resident_nik(9), resident_kk(9))
    assert recorded_niks(edge) == [(resident_nik(9), "booth-01")]
