"""Bursts of packets (a reconnect, a storm): checked in the helper process, still exactly once.

The pipeline checks a batch of :data:`CHECK_PROCESS_MIN_BATCH` packets or more in a
helper process started with it (in a thread until that process is ready); these tests
send a first burst, wait for the helper, then send the bursts under test.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.booths.keys import register_booth_key
from edge_controller.ingest.checks import CODE_KEY_RETIRED
from edge_controller.ingest.pipeline import CHECK_PROCESS_MIN_BATCH
from ektp.mqtt.client import MqttClient
from ektp.packet import SealedPacket, seal
from kiosk.keys import public_key_pem
from tests.edge_controller.broker_fixtures import Inbox, Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    CENTRAL_KEY,
    BoothKit,
    RunningEdge,
    booths,
    edge_config,
    make_biometrics,
    make_record,
    register,
    running_edge,
)

BURST = 3 * CHECK_PROCESS_MIN_BATCH


@pytest.fixture
def edge(office: Office, tmp_path: Path, booths: dict[str, BoothKit]) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register(config, *booths.values())
    yield from running_edge(config)


@pytest.fixture
def sender(office: Office) -> Iterator[tuple[MqttClient, Inbox]]:
    acks = Inbox()
    client = office.client("booth-01")
    client.subscribe("booths/booth-01/acks", acks)
    yield client, acks
    client.stop(publish_offline=False)


def burst(client: MqttClient, payloads: list[bytes], kit: BoothKit) -> None:
    """Publish at once (QoS 1, pipelined, each in its envelope), as a booth draining its
    outbox does."""
    wires = [kit.wire(p) for p in payloads]
    infos = [client.paho_client.publish("booths/booth-01/enrollments", w, 1) for w in wires]
    for info in infos:
        info.wait_for_publish(30)


def acked(acks: Inbox) -> list[str]:
    return [packet_id for ack in acks.payloads() for packet_id in ack["packet_ids"]]


def refused(acks: Inbox) -> dict[str, str]:
    return {r["packet_id"]: r["code"] for ack in acks.payloads() for r in ack["rejected"]}


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
    assert wait_for(lambda: ids <= set(acked(acks)), timeout=60)
    pipeline = edge.service.packets
    assert wait_for(lambda: pipeline.check_process is not None, timeout=30)
    assert wait_for(lambda: pipeline.check_process is not None and pipeline.check_process.ready)
    return ids


def flipped(packet: SealedPacket) -> bytes:
    data = bytearray(packet.data)
    data[packet.data.index(b'"blobs":{"biometrics":"') + 2000] ^= 0x01  # in the ciphertext
    return bytes(data)


def test_a_burst_is_stored_once_acked_and_its_bad_packets_refused_with_their_reasons(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    kit = booths["booth-01"]
    earlier = warm_up(edge, client, acks, kit)
    good = [kit.seal() for _ in range(BURST)]
    tampered = kit.seal(photo_bytes=4000)
    foreign = seal(  # booth-01's name, booth-02's key
        make_record("booth-01", serial=900),
        make_biometrics(),
        booth_id="booth-01",
        booth_signing_key=booths["booth-02"].signing_key,
        central_public_key=CENTRAL_KEY.public_key(),
    )
    payloads = [p.data for p in good]
    payloads[5:5] = [flipped(tampered), foreign.data, good[0].data]  # good[0] twice

    burst(client, payloads, kit)

    expected = {str(p.packet_id) for p in good}
    assert wait_for(lambda: expected <= set(acked(acks)), timeout=60)
    assert wait_for(lambda: len(refused(acks)) == 2, timeout=30)
    assert refused(acks)[str(foreign.packet_id)] == "packet.bad_signature"
    assert refused(acks)[str(tampered.packet_id)].startswith("packet.")
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)  # good[0] once, no refused
    assert not {str(tampered.packet_id), str(foreign.packet_id)} & set(acked(acks))


def test_bursts_are_still_ingested_after_the_helper_process_dies(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    kit = booths["booth-01"]
    earlier = warm_up(edge, client, acks, kit)
    helper = edge.service.packets.check_process
    assert helper is not None
    os.kill(helper.pid, signal.SIGKILL)

    later = [kit.seal() for _ in range(2 * BURST)]
    burst(client, [p.data for p in later[:BURST]], kit)
    burst(client, [p.data for p in later[BURST:]], kit)

    expected = {str(p.packet_id) for p in later}
    assert wait_for(lambda: expected <= set(acked(acks)), timeout=60)
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)


def test_a_replaced_booths_burst_keeps_the_old_units_records_and_refuses_later_ones(
    edge: RunningEdge, sender: tuple[MqttClient, Inbox], booths: dict[str, BoothKit]
) -> None:
    client, acks = sender
    kit = booths["booth-01"]
    earlier = warm_up(edge, client, acks, kit)
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
        return seal(
            make_record("booth-01", serial=serial),
            make_biometrics(),
            booth_id="booth-01",
            booth_signing_key=key,
            central_public_key=CENTRAL_KEY.public_key(),
            sealed_at=at,
        )

    before_swap = [sealed(kit.signing_key, swap - dt.timedelta(hours=1), 600 + i) for i in range(8)]
    after_swap = sealed(kit.signing_key, swap + dt.timedelta(days=1), 700)
    new_unit = [sealed(new_key, swap + dt.timedelta(minutes=1), 800 + i) for i in range(8)]

    burst(client, [p.data for p in [*before_swap, after_swap, *new_unit]], kit)

    expected = {str(p.packet_id) for p in [*before_swap, *new_unit]}
    assert wait_for(lambda: expected <= set(acked(acks)), timeout=60)
    assert wait_for(lambda: str(after_swap.packet_id) in refused(acks), timeout=30)
    assert refused(acks)[str(after_swap.packet_id)] == CODE_KEY_RETIRED
    assert sorted(stored_ids(edge)) == sorted(expected | earlier)
