"""Ingest through the real TLS broker: verified, committed once, acked only then."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from edge_controller.booths.monitor import register_booth_key
from edge_controller.ingest.checks import count_packets, stored_packet
from ektp.mqtt.client import MqttClient
from tests.edge_controller.broker_fixtures import Inbox, Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    acked_ids,
    booths,
    client_with_acks,
    make_booth,
    registered_edge,
    rejections,
    sealed_with,
    sender,
    share_office_secret,
)

__all__ = ["booths", "office", "registered_edge", "sender"]


def stored_count(edge: RunningEdge, table: str = "ingested_packets") -> int:
    conn = edge.db()
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_resent_packet_is_acked_each_time_and_stored_once(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    packet = booths["booth-01"].seal()
    topic = "booths/booth-01/enrollments"

    def acks_for_packet() -> int:
        return acked_ids(acks).count(str(packet.packet_id))

    for attempt in range(1, 4):
        client.publish_and_wait(topic, booths["booth-01"].wire(packet))
        assert wait_for(lambda: acks_for_packet() >= attempt)  # noqa: B023 - waited on here

    assert stored_count(edge) == 1
    assert stored_count(edge, "recordings") == 1  # coverage counts the resident once
    conn = edge.db()
    try:
        stored = stored_packet(conn, str(packet.packet_id))
    finally:
        conn.close()
    assert stored is not None
    assert stored.data == packet.data
    assert stored.state == "committed"
    assert stored.nik == packet.manifest.record.nik


def test_same_id_with_other_bytes_is_refused_and_the_stored_packet_kept(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    kit = booths["booth-01"]
    first = kit.seal()
    imposter = sealed_with(kit.signing_key, "booth-01", 99, packet_id=first.packet_id)
    client.publish_and_wait("booths/booth-01/enrollments", kit.wire(first))
    assert wait_for(lambda: str(first.packet_id) in acked_ids(acks))

    client.publish_and_wait("booths/booth-01/enrollments", kit.wire(imposter))

    assert wait_for(lambda: (str(first.packet_id), "packet.id_conflict") in rejections(acks))
    conn = edge.db()
    try:
        stored = stored_packet(conn, str(first.packet_id))
    finally:
        conn.close()
    assert stored is not None
    assert stored.data == first.data


def test_packet_with_one_flipped_bit_is_refused_with_a_reason_and_never_stored(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    packet = booths["booth-01"].seal(photo_bytes=4000)
    damaged = bytearray(packet.data)
    middle = packet.data.index(b'"blobs":{"biometrics":"') + 2000  # inside the ciphertext
    damaged[middle] ^= 0x01

    wire = booths["booth-01"].wire(bytes(damaged), packet.packet_id)
    client.publish_and_wait("booths/booth-01/enrollments", wire)

    assert wait_for(lambda: rejections(acks) != [])
    [(packet_id, code)] = rejections(acks)
    assert packet_id == str(packet.packet_id)
    assert code.startswith("packet.")
    assert acked_ids(acks) == []
    assert stored_count(edge) == 0
    assert stored_count(edge, "recordings") == 0
    snapshot = edge.service.snapshot_from_thread()
    assert snapshot.rejections == {"booth-01": {code: 1}}
    assert any(a.kind == "packet_rejected" and a.booth_id == "booth-01" for a in snapshot.alerts)


@pytest.mark.parametrize("record_booth", ["booth-01", "booth-02"])
def test_packet_signed_with_booth_02s_key_but_sent_by_booth_01_is_refused(
    edge: RunningEdge,
    sender: tuple[MqttClient, Inbox],
    booths: dict[str, BoothKit],
    record_booth: str,
) -> None:
    client, acks = sender
    forged = sealed_with(booths["booth-02"].signing_key, record_booth)

    client.publish_and_wait("booths/booth-01/enrollments", booths["booth-01"].wire(forged))

    assert wait_for(lambda: rejections(acks) != [])
    assert rejections(acks) == [(str(forged.packet_id), "packet.bad_signature")]
    assert stored_count(edge) == 0


def test_packet_from_an_unregistered_booth_waits_until_its_key_is_registered(
    office: Office, edge: RunningEdge, tmp_path: Path
) -> None:
    newcomer = make_booth(office, tmp_path, "booth-03")
    try:
        acks = Inbox()
        client = client_with_acks(office, "booth-03", acks)
        share_office_secret(edge.config, newcomer)
        packet = newcomer.seal()
        client.publish_and_wait("booths/booth-03/enrollments", newcomer.wire(packet))

        def alerted() -> bool:
            alerts = edge.service.snapshot_from_thread().alerts
            return any(a.kind == "unknown_booth" and a.booth_id == "booth-03" for a in alerts)

        assert wait_for(alerted)
        assert rejections(acks) == []  # not refused for good: no ack at all
        assert stored_count(edge) == 0

        conn = edge.db()
        try:
            register_booth_key(conn, "booth-03", newcomer.public_key_pem, packet.manifest.sealed_at)
        finally:
            conn.close()
        client.publish_and_wait("booths/booth-03/enrollments", newcomer.wire(packet))

        assert wait_for(lambda: str(packet.packet_id) in acked_ids(acks))
        conn = edge.db()
        try:
            assert count_packets(conn, "booth-03") == 1
        finally:
            conn.close()
    finally:
        newcomer.close()


def test_many_packets_at_once_are_all_stored_and_acked(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    packets = [booths["booth-01"].seal() for _ in range(30)]
    for packet in packets:
        client.publish_and_wait("booths/booth-01/enrollments", booths["booth-01"].wire(packet))

    expected = {str(p.packet_id) for p in packets}
    assert wait_for(lambda: expected <= set(acked_ids(acks)), timeout=60)
    assert stored_count(edge) == 30
    assert not set(acked_ids(acks)) - expected
    assert all(uuid.UUID(i) for i in acked_ids(acks))
