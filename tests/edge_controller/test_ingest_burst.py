"""Bursts of packets (a reconnect, a storm): checked in the helper process, still exactly once.

The pipeline checks a batch of :data:`CHECK_PROCESS_MIN_BATCH` packets or more in a
helper process started with it (in a thread until that process is ready); these tests
send a first burst, wait for the helper, then send the bursts under test.
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.booths.keys import register_booth_key
from edge_controller.ingest.checks import CODE_KEY_RETIRED
from edge_controller.ingest.pipeline import CHECK_PROCESS_MIN_BATCH
from ektp.mqtt.client import MqttClient
from ektp.packet import SealedPacket
from kiosk.keys import public_key_pem
from tests.edge_controller.broker_fixtures import Inbox, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    acked_ids,
    booths,
    registered_edge,
    rejections,
    sealed_with,
    sender,
)

__all__ = ["booths", "office", "registered_edge", "sender"]

BURST = 3 * CHECK_PROCESS_MIN_BATCH
Warmed = tuple[MqttClient, Inbox, BoothKit, set[str]]


def burst(client: MqttClient, payloads: list[bytes], kit: BoothKit) -> None:
    """Publish at once (QoS 1, pipelined, each in its envelope), as a booth draining its
    outbox does."""
    wires = [kit.wire(p) for p in payloads]
    infos = [client.paho_client.publish("booths/booth-01/enrollments", w, 1) for w in wires]
    for info in infos:
        info.wait_for_publish(30)


def refused(acks: Inbox) -> dict[str, str]:
    return dict(rejections(acks))


def stored_ids(edge: RunningEdge) -> list[str]:
    conn = edge.db()
    try:
        return [row[0] for row in conn.execute("SELECT packet_id FROM ingested_packets")]
    finally:
        conn.close()


def warm_up(edge: RunningEdge, client: MqttClient, acks: Inbox, kit: BoothKit) -> set[str]:
    """A first burst, stored and acked; then wait until the helper process is ready."""
    packets = [kit.seal() for _ in range(BURST)]
    burst(client, [p.data for p in packets], kit)
    ids = {str(p.packet_id) for p in packets}
    assert wait_for(lambda: ids <= set(acked_ids(acks)), timeout=60)
    pipeline = edge.service.packets
    assert wait_for(lambda: pipeline.check_process is not None, timeout=30)
    assert wait_for(lambda: pipeline.check_process is not None and pipeline.check_process.ready)
    return ids


@pytest.fixture
def warmed(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> Warmed:
    """booth-01's client, acks and kit once :func:`warm_up` is done, and that burst's ids."""
    client, acks = sender
    kit = booths["booth-01"]
    return client, acks, kit, warm_up(edge, client, acks, kit)


def flipped(packet: SealedPacket) -> bytes:
    data = bytearray(packet.data)
    data[packet.data.index(b'"blobs":{"biometrics":"') + 2000] ^= 0x01  # in the ciphertext
    return bytes(data)


def test_a_burst_is_stored_once_acked_and_its_bad_packets_refused_with_their_reasons(
    edge: RunningEdge, warmed: Warmed, booths: dict[str, BoothKit]
) -> None:
    client, acks, kit, earlier = warmed
    good = [kit.seal() for _ in range(BURST)]
    tampered = kit.seal(photo_bytes=4000)
    foreign = sealed_with(booths["booth-02"].signing_key, "booth-01", 900)  # booth-02's key
    payloads = [p.data for p in good]
    payloads[5:5] = [flipped(tampered), foreign.data, good[0].data]  # good[0] twice

    burst(client, payloads, kit)

    expected = {str(p.packet_id) for p in good}
    assert wait_for(lambda: expected <= set(acked_ids(acks)), timeout=60)
    assert wait_for(lambda: len(refused(acks)) == 2, timeout=30)
    assert refused(acks)[str(foreign.packet_id)] == "packet.bad_signature"
    assert refused(acks)[str(tampered.packet_id)].startswith("packet.")
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)  # good[0] once, no refused
    assert not {str(tampered.packet_id), str(foreign.packet_id)} & set(acked_ids(acks))


def test_bursts_are_still_ingested_after_the_helper_process_dies(
    edge: RunningEdge, warmed: Warmed
) -> None:
    client, acks, kit, earlier = warmed
    helper = edge.service.packets.check_process
    assert helper is not None
    os.kill(helper.pid, signal.SIGKILL)

    later = [kit.seal() for _ in range(2 * BURST)]
    burst(client, [p.data for p in later[:BURST]], kit)
    burst(client, [p.data for p in later[BURST:]], kit)

    expected = {str(p.packet_id) for p in later}
    assert wait_for(lambda: expected <= set(acked_ids(acks)), timeout=60)
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)


def test_a_replaced_booths_burst_keeps_the_old_units_records_and_refuses_later_ones(
    edge: RunningEdge, warmed: Warmed
) -> None:
    client, acks, kit, earlier = warmed
    swap = dt.datetime.now(dt.UTC)
    new_key = Ed25519PrivateKey.generate()
    conn = edge.db()
    try:
        assert register_booth_key(conn, "booth-01", public_key_pem(new_key), swap).change == (
            "rotated"
        )
    finally:
        conn.close()

    def sealed(key: Ed25519PrivateKey, at: dt.datetime, serial: int) -> SealedPacket:
        return sealed_with(key, "booth-01", serial, sealed_at=at)

    before_swap = [sealed(kit.signing_key, swap - dt.timedelta(hours=1), 600 + i) for i in range(8)]
    after_swap = sealed(kit.signing_key, swap + dt.timedelta(days=1), 700)
    new_unit = [sealed(new_key, swap + dt.timedelta(minutes=1), 800 + i) for i in range(8)]

    burst(client, [p.data for p in [*before_swap, after_swap, *new_unit]], kit)

    expected = {str(p.packet_id) for p in [*before_swap, *new_unit]}
    assert wait_for(lambda: expected <= set(acked_ids(acks)), timeout=60)
    assert wait_for(lambda: str(after_swap.packet_id) in refused(acks), timeout=30)
    assert refused(acks)[str(after_swap.packet_id)] == CODE_KEY_RETIRED
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)
