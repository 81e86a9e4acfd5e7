"""Fuzzing the edge's MQTT boundary: whatever a booth publishes — random bytes, JSON of the
wrong shape, oversized payloads, another booth's valid packet, truncated or bit-flipped
sealed packets — the edge refuses it with a reason, stores nothing, and keeps serving.

One real broker (TLS, ACL) and one real edge service serve the whole module; each
example is published by a real booth client. The checks at the end are what an office
would notice: the edge still acks a good packet, its store holds only good packets,
and every refusal is counted under a code.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ektp.messages import StatusMessage
from ektp.mqtt_client import MqttClient, MqttNotAuthorized
from tests.edge_controller.broker_fixtures import (
    CONNECT_TIMEOUT,
    Inbox,
    Office,
    running_office,
    wait_for,
)
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    edge_config,
    make_booth,
    register,
    running_edge,
)

EDGE_PACKET_LIMIT = 64 * 1024
BOOTH = "booth-01"
OTHER = "booth-02"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


class Sent:
    """What the fuzzers published, to compare with what the edge counted."""

    def __init__(self) -> None:
        self.enrollments = 0
        self.messages = 0


def booth_client(office: Office) -> MqttClient:
    """A booth's client whose own online/offline status is valid (so the edge counts
    only what the fuzzers send)."""
    status = {"booth_id": BOOTH, "software_version": "fuzz"}
    client = MqttClient(
        office.client_config(BOOTH),
        online_payload=StatusMessage(state="online", **status).model_dump(mode="json"),
        offline_payload=StatusMessage(state="offline", **status).model_dump(mode="json"),
    )
    office.clients.append(client)
    client.start()
    client.wait_until_connected(CONNECT_TIMEOUT)
    return client


class World:
    def __init__(self, office: Office, edge: RunningEdge, booths: dict[str, BoothKit]) -> None:
        self.office = office
        self.edge = edge
        self.booths = booths
        self.acks = Inbox()
        self.client = booth_client(office)
        self.client.subscribe(f"booths/{BOOTH}/acks", self.acks)
        self.sent = Sent()
        self.good = booths[BOOTH].seal()  # the packet the edge must still take at the end

    def publish(self, kind: str, payload: bytes) -> None:
        self.client.publish_and_wait(f"booths/{BOOTH}/{kind}", payload, timeout=30)
        if kind == "enrollments":
            self.sent.enrollments += 1
        else:
            self.sent.messages += 1

    def rejections(self) -> Counter[str]:
        """Refusals by code: packets (``packet.*``) and messages (``message.*``)."""
        service = self.edge.service
        counts = Counter(service.rejections.as_dict().get(BOOTH, {}))
        counts.update(service.message_rejections.as_dict().get(BOOTH, {}))
        return counts

    def stored(self, table: str = "ingested_packets") -> int:
        conn = self.edge.db()
        try:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("mqtt-fuzz")
    offices = running_office(root)
    office = next(offices)
    booths = {name: make_booth(office, root, name) for name in (BOOTH, OTHER)}
    config = edge_config(office, root, ingest={"max_packet_bytes": EDGE_PACKET_LIMIT})
    register(config, *booths.values())
    edges = running_edge(config)
    edge = next(edges)
    try:
        yield World(office, edge, booths)
    finally:
        for generator in (edges, offices):
            next(generator, None)  # runs the fixture's clean-up
        for kit in booths.values():
            kit.close()


def flip_bit(data: bytes, position: int) -> bytes:
    damaged = bytearray(data)
    damaged[position // 8 % len(damaged)] ^= 1 << (position % 8)
    return bytes(damaged)


@FUZZ
@given(payload=st.binary(max_size=2048))
def test_random_bytes_as_an_enrollment_are_refused(world: World, payload: bytes) -> None:
    world.publish("enrollments", payload)


@FUZZ
@given(value=json_values)
def test_json_of_the_wrong_shape_as_an_enrollment_is_refused(world: World, value: Any) -> None:
    world.publish("enrollments", json.dumps(value).encode())


@FUZZ
@given(data=st.data())
def test_truncated_or_bit_flipped_sealed_packets_are_refused(world: World, data: Any) -> None:
    packet = world.booths[BOOTH].seal().data
    if data.draw(st.booleans(), label="truncate"):
        payload = packet[: data.draw(st.integers(0, len(packet) - 1), label="length")]
    else:
        payload = flip_bit(packet, data.draw(st.integers(0, len(packet) * 8 - 1), label="bit"))
    world.publish("enrollments", payload)


def test_another_booths_valid_packet_is_refused(world: World) -> None:
    world.publish("enrollments", world.booths[OTHER].seal().data)
    # and a booth cannot publish under another booth's topic at all (the broker's ACL)
    with pytest.raises(MqttNotAuthorized):
        world.client.publish_and_wait(
            f"booths/{OTHER}/enrollments", world.booths[OTHER].seal().data, timeout=30
        )


def test_an_enrollment_over_the_edges_limit_is_refused(world: World) -> None:
    world.publish("enrollments", world.booths[BOOTH].seal(photo_bytes=EDGE_PACKET_LIMIT).data)


@FUZZ
@given(
    kind=st.sampled_from(["status", "health", "events"]),
    payload=st.one_of(
        st.binary(max_size=1024),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {"v": st.just(1), "booth_id": st.sampled_from([BOOTH, OTHER])},
            optional={"state": json_values, "at": json_values, "devices": json_values},
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_bad_status_health_and_events_are_refused(world: World, kind: str, payload: bytes) -> None:
    world.publish(kind, payload)


@pytest.mark.parametrize("kind", ["status", "health", "events"])
def test_oversized_messages_are_refused(world: World, kind: str) -> None:
    world.publish(kind, b'{"v": 1, "pad": "' + b"x" * (128 * 1024) + b'"}')


def test_after_the_fuzzing_the_edge_serves_and_stored_nothing_bad(world: World) -> None:
    """Runs last in this module: the sum of everything above (and two more of its own)."""
    world.publish("enrollments", b"\x00not a packet")
    world.publish("health", b"[]")
    sent = world.sent

    def counted() -> tuple[int, int]:
        counts = world.rejections()
        packets = sum(n for code, n in counts.items() if not code.startswith("message."))
        messages = sum(n for code, n in counts.items() if code.startswith("message."))
        return packets, messages

    sent_counts = (sent.enrollments, sent.messages)
    assert wait_for(lambda: counted() == sent_counts, timeout=60), (counted(), sent_counts)
    assert all(code.count(".") == 1 for code in world.rejections()), world.rejections()
    assert world.stored() == 0
    assert world.stored("recordings") == 0
    assert world.edge.service.ready.is_set()

    world.client.publish_and_wait(f"booths/{BOOTH}/enrollments", world.good.data, timeout=30)

    def acked() -> bool:
        return any(str(world.good.packet_id) in ack["packet_ids"] for ack in world.acks.payloads())

    assert wait_for(acked, timeout=60)
    assert world.stored() == 1
