"""The enrollment envelope through the real TLS broker: the edge opens what a registered
booth sealed with the office key, refuses (alert, no ack) whatever does not open, and a
booth without the office key keeps its packets and says so."""

from __future__ import annotations

from pathlib import Path

from edge_controller.ingest.checks import stored_packet
from ektp.mqtt.client import MqttClient
from tests.edge_controller.broker_fixtures import Inbox, Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    booths,
    edge_config,
    register,
    registered_edge,
    running_edge,
    sender,
)

__all__ = ["booths", "office", "registered_edge", "sender"]

TOPIC = "booths/booth-01/enrollments"


def stored_data(edge: RunningEdge, packet_id: str) -> bytes | None:
    conn = edge.db()
    try:
        stored = stored_packet(conn, packet_id)
    finally:
        conn.close()
    return None if stored is None else stored.data


def open_alerts(edge: RunningEdge, kind: str) -> set[tuple[str | None, str]]:
    return {
        (a.booth_id, a.subject)
        for a in edge.service.snapshot_from_thread().alerts
        if a.kind == kind and a.cleared_at is None
    }


def test_a_bare_packet_is_refused_alerted_and_not_acked_then_taken_sealed(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    kit = booths["booth-01"]
    client, acks = sender
    packet = kit.seal()

    client.publish_and_wait(TOPIC, packet.data)  # a booth that predates the envelope

    assert wait_for(
        lambda: ("booth-01", "transport.unsealed") in open_alerts(edge, "packet_rejected")
    )
    assert edge.service.rejections.count("booth-01", "transport.unsealed") == 1
    assert acks.payloads() == []  # no ack: the booth keeps the packet
    assert stored_data(edge, str(packet.packet_id)) is None

    client.publish_and_wait(TOPIC, kit.wire(packet))  # the same packet, sealed

    assert wait_for(lambda: any(str(packet.packet_id) in a["packet_ids"] for a in acks.payloads()))
    assert stored_data(edge, str(packet.packet_id)) == packet.data  # as the booth signed it
    assert wait_for(lambda: open_alerts(edge, "packet_rejected") == set())  # a good packet clears


def test_an_envelope_sealed_for_another_booth_does_not_open(
    office: Office, edge: RunningEdge, booths: dict[str, BoothKit]
) -> None:
    client = office.client("booth-01")
    packet = booths["booth-01"].seal()
    relayed = booths["booth-02"].wire(packet)  # booth-02's envelope, replayed by booth-01

    client.publish_and_wait(TOPIC, relayed)

    assert wait_for(lambda: edge.service.rejections.count("booth-01", "transport.unreadable") == 1)
    assert stored_data(edge, str(packet.packet_id)) is None


def test_an_office_may_take_bare_packets_from_older_booths_while_they_are_updated(
    office: Office, tmp_path: Path, booths: dict[str, BoothKit]
) -> None:
    config = edge_config(office, tmp_path, ingest={"accept_unsealed_enrollments": True})
    register(config, *booths.values())
    kit = booths["booth-01"]
    for edge in running_edge(config):
        client = office.client("booth-01")
        bare, sealed = kit.seal(), kit.seal()
        client.publish_and_wait(TOPIC, bare.data)
        client.publish_and_wait(TOPIC, kit.wire(sealed))

        assert wait_for(lambda: stored_data(edge, str(sealed.packet_id)) == sealed.data)  # noqa: B023
        assert wait_for(lambda: stored_data(edge, str(bare.packet_id)) == bare.data)  # noqa: B023
        assert edge.service.rejections.count() == 0


def test_a_booth_without_the_office_key_keeps_its_packets_and_says_so(
    edge: RunningEdge, booths: dict[str, BoothKit]
) -> None:
    kit = booths["booth-01"]
    secret, kit.office_secret = kit.office_secret, None  # not delivered to it yet
    packets = [kit.commit(), kit.commit()]
    with kit.uplink() as uplink:

        def says_so() -> bool:
            return ("booth-01", "office_key") in open_alerts(edge, "device_failed")

        assert wait_for(says_so, timeout=30)
        assert kit.outbox.depth() == 2  # nothing sent, nothing bare on the broker
        assert all(stored_data(edge, str(p.packet_id)) is None for p in packets)
        assert edge.service.rejections.count() == 0

        kit.office_secret = secret  # the edge's office/roster_keys reached it
        assert uplink.drain(timeout=30)
        assert all(stored_data(edge, str(p.packet_id)) == p.data for p in packets)
        assert wait_for(lambda: not says_so(), timeout=30)
