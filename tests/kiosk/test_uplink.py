"""The booth's uplink drains its outbox to the edge by itself, through broker outages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.roster.secret import office_roster_secret
from ektp.packet import seal
from kiosk.outbox.store import Outbox, OutboxFull, PacketState
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.events import call_next_event, check_in_event
from tests.edge_controller.broker_fixtures import (
    OBSERVER_IDENTITY,
    Inbox,
    Office,
    wait_for,
)
from tests.edge_controller.ingest_fixtures import (
    CENTRAL_KEY,
    BoothKit,
    RunningEdge,
    edge_config,
    kk_for,
    make_biometrics,
    make_booth,
    make_record,
    nik_for,
    register,
    running_edge,
)
from tests.kiosk.edge_office_fixtures import kit, office, rows_at_edge


@pytest.fixture
def edge(office: Office, tmp_path: Path, kit: BoothKit) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register(config, kit)
    yield from running_edge(config)


def stored(edge: RunningEdge) -> int:
    return rows_at_edge(edge, "ingested_packets")


def test_outbox_of_50_drains_by_itself_including_records_committed_while_broker_was_down(
    office: Office, edge: RunningEdge, kit: BoothKit
) -> None:
    before = [kit.commit() for _ in range(25)]
    uplink = kit.uplink(max_in_flight=10)
    uplink.start()
    assert wait_for(lambda: uplink.connected, timeout=30)

    office.broker.stop()
    assert wait_for(lambda: not uplink.connected, timeout=30)
    during = [kit.commit() for _ in range(25)]
    office.broker.start()

    assert uplink.drain(timeout=120)
    counts = kit.outbox.counts()
    assert counts[PacketState.ACKED] == 50
    assert stored(edge) == 50
    conn = edge.db()
    try:
        ids = {row[0] for row in conn.execute("SELECT packet_id FROM ingested_packets")}
    finally:
        conn.close()
    assert ids == {str(p.packet_id) for p in before + during}


def test_refused_packet_stays_in_the_outbox_is_not_resent_and_is_reported(
    office: Office, edge: RunningEdge, kit: BoothKit, tmp_path: Path
) -> None:
    stranger = make_booth(office, tmp_path, "booth-09")
    try:
        forged = seal(
            make_record("booth-01"),
            make_biometrics(),
            booth_id="booth-01",
            booth_signing_key=stranger.signing_key,
            central_public_key=CENTRAL_KEY.public_key(),
        )
    finally:
        stranger.close()
    kit.outbox.commit(str(forged.packet_id), forged.data, {"kelurahan": "Sambakungan"})
    good = kit.commit()
    events = Inbox()
    office.client(OBSERVER_IDENTITY, status_topic=None).subscribe("booths/booth-01/events", events)
    uplink = kit.uplink(ack_timeout_seconds=1.0)

    uplink.start()

    assert uplink.drain(timeout=60)
    assert uplink.rejected == {str(forged.packet_id): "packet.bad_signature"}
    assert kit.outbox.get(str(good.packet_id)).state is PacketState.ACKED  # type: ignore[union-attr]
    refused = kit.outbox.get(str(forged.packet_id))
    assert refused is not None
    assert refused.state is PacketState.SENT  # kept: nothing is ever deleted on the booth
    attempts = refused.attempts
    assert wait_for(lambda: any(e["name"] == "packet_rejected" for e in events.payloads()))
    [event] = [e for e in events.payloads() if e["name"] == "packet_rejected"]
    assert event["data"] == {"packet_id": str(forged.packet_id), "code": "packet.bad_signature"}
    office.broker.stop()  # a reconnect re-sends everything unacked, but not the refused one
    assert wait_for(lambda: not uplink.connected, timeout=30)
    office.broker.start()
    assert wait_for(lambda: uplink.connected, timeout=30)
    kit.commit()
    assert uplink.drain(timeout=60)
    assert kit.outbox.get(str(forged.packet_id)).attempts == attempts  # type: ignore[union-attr]


def test_booth_reports_health_with_its_outbox_depth(
    office: Office, edge: RunningEdge, kit: BoothKit
) -> None:
    health = Inbox()
    office.client(OBSERVER_IDENTITY, status_topic=None).subscribe("booths/booth-01/health", health)
    uplink = kit.uplink()
    uplink.start()

    assert wait_for(lambda: health.messages != [])
    report = health.payloads()[0]
    assert report["booth_id"] == "booth-01"
    assert report["outbox_depth"] == 0
    assert report["disk_free_bytes"] > 0


def test_events_kept_while_the_broker_is_down_arrive_in_order_once_back(
    office: Office, edge: RunningEdge, kit: BoothKit
) -> None:
    uplink = kit.uplink()
    uplink.start()
    assert wait_for(lambda: uplink.connected, timeout=30)
    office.broker.stop()
    assert wait_for(lambda: not uplink.connected, timeout=30)

    conn = edge.db()
    try:
        secret = office_roster_secret(conn)  # as this booth opens it from office/roster_keys
    finally:
        conn.close()
    sent = []
    for serial in range(1, 6):
        event = check_in_event(
            "booth-01",
            nik=nik_for(serial),
            kk=kk_for(serial),
            kelurahan="Sambakungan",
            service="new_recording",
            secret=secret,
        )
        uplink.send_event(event)  # on disk when it returns, although nobody can take it
        sent.append(str(event.event_id))
    assert uplink.messages_waiting() == 5

    office.broker.start()
    assert wait_for(lambda: uplink.messages_waiting() == 0, timeout=60)  # the edge acked each
    conn = edge.db()
    try:
        query = "SELECT request_id FROM queue_tickets ORDER BY ticket_id"
        tickets = [row[0] for row in conn.execute(query)]
    finally:
        conn.close()
    assert tickets == sent  # one ticket each, numbered in the order the booth kept them


def test_a_full_outbox_refuses_an_event_and_says_so(
    office: Office, kit: BoothKit, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "small.sqlite", max_sendables=3)
    uplink = BoothUplink("booth-01", kit.link(), outbox)  # never started: nothing drains
    try:
        for _ in range(3):
            uplink.send_event(call_next_event("booth-01"))
        with pytest.raises(OutboxFull):
            uplink.send_event(call_next_event("booth-01"))
        with pytest.raises(OutboxFull):
            uplink.send_event(call_next_event("booth-01"))
        kept = [json.loads(m.sendable.payload) for m in outbox.sendables.pending_sendables()]
        assert [e["name"] for e in kept] == ["call_next"] * 3 + ["outbox_full"]  # one alert
        assert kept[-1]["kind"] == "audit"
    finally:
        outbox.close()
