"""Fuzzing the edge's MQTT boundary: whatever a booth publishes — random bytes, JSON of the
wrong shape, oversized payloads, another booth's valid packet, truncated or bit-flipped
sealed packets — the edge refuses it with a reason, stores nothing, and keeps serving.

One real broker (TLS, ACL) and one real edge service serve the whole module; each
example is published by a real booth client. Each test checks its own outcome, as an
office would notice it: every example is refused (counted under a code and logged once)
and stores nothing, and afterwards the edge still acks a good packet from the same booth.
Any one test can run alone (``-k``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ektp.mqtt.errors import MqttNotAuthorized
from tests.edge_controller.broker_fixtures import (
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
EXAMPLE_TIMEOUT = 15.0  # for one example's refusal (short: hypothesis re-runs failures)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class Tally:
    """What the fuzzers sent and what the edge did about it, at one instant."""

    sent_enrollments: int
    sent_messages: int
    refused_packets: int
    refused_messages: int
    refusals_logged: int
    stored_packets: int
    stored_recordings: int


class RefusalLog(logging.Handler):
    """Counts the edge's warnings that refuse something from the fuzzing booth."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("refused") and BOOTH in message:
            with self._lock:
                self.count += 1


class World:
    def __init__(self, office: Office, edge: RunningEdge, booths: dict[str, BoothKit]) -> None:
        self.office = office
        self.edge = edge
        self.booths = booths
        self.acks = Inbox()
        # its own online/offline status is valid: the edge counts only what the fuzzers send
        self.client = office.booth_client(BOOTH, software_version="fuzz")
        self.client.subscribe(f"booths/{BOOTH}/acks", self.acks)
        self.sent_enrollments = 0
        self.sent_messages = 0
        self.good_packets_acked = 0
        self.refusal_log = RefusalLog()

    def publish(self, kind: str, payload: bytes) -> None:
        self.client.publish_and_wait(f"booths/{BOOTH}/{kind}", payload, timeout=30)
        if kind == "enrollments":
            self.sent_enrollments += 1
        else:
            self.sent_messages += 1

    def wire(self, packet: bytes) -> bytes:
        """``packet`` in the fuzzing booth's transport envelope: it reaches the checks."""
        return self.booths[BOOTH].wire(packet)

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

    def tally(self) -> Tally:
        counts = self.rejections()
        return Tally(
            sent_enrollments=self.sent_enrollments,
            sent_messages=self.sent_messages,
            refused_packets=sum(n for c, n in counts.items() if not c.startswith("message.")),
            refused_messages=sum(n for c, n in counts.items() if c.startswith("message.")),
            refusals_logged=self.refusal_log.count,
            stored_packets=self.stored(),
            stored_recordings=self.stored("recordings"),
        )

    def assert_all_refused_since(self, before: Tally, timeout: float = 60.0) -> None:
        """Everything published since ``before`` was refused (counted under a code and
        logged, once each), nothing was stored, and the edge still runs."""
        sent = self.sent_enrollments - before.sent_enrollments
        sent += self.sent_messages - before.sent_messages
        assert sent > 0, "the test published nothing"

        def refused() -> tuple[int, int, int]:
            now = self.tally()
            return (
                now.refused_packets - before.refused_packets,
                now.refused_messages - before.refused_messages,
                now.refusals_logged - before.refusals_logged,
            )

        expected = (
            self.sent_enrollments - before.sent_enrollments,
            self.sent_messages - before.sent_messages,
            sent,
        )
        assert wait_for(lambda: refused() == expected, timeout), (refused(), expected)
        assert all(code.count(".") == 1 for code in self.rejections()), self.rejections()
        after = self.tally()
        assert (after.stored_packets, after.stored_recordings) == (
            before.stored_packets,
            before.stored_recordings,
        )
        assert self.edge.error is None, self.edge.error
        assert self.edge.service.ready.is_set()

    def assert_still_acks_a_good_packet(self) -> None:
        """A valid packet from the same booth is still committed and acked."""
        stored = self.stored()
        good = self.booths[BOOTH].seal()
        wire = self.wire(good.data)
        self.client.publish_and_wait(f"booths/{BOOTH}/enrollments", wire, timeout=30)

        def acked() -> bool:
            return any(str(good.packet_id) in ack["packet_ids"] for ack in self.acks.payloads())

        assert wait_for(acked, timeout=60), f"packet {good.packet_id} was not acked"
        assert self.stored() == stored + 1
        self.good_packets_acked += 1


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
    world = World(office, edge, booths)
    edge_log = logging.getLogger("edge_controller")
    edge_log.addHandler(world.refusal_log)
    try:
        yield world
    finally:
        edge_log.removeHandler(world.refusal_log)
        for generator in (edges, offices):
            next(generator, None)  # runs the fixture's clean-up
        for kit in booths.values():
            kit.close()


def flip_bit(data: bytes, position: int) -> bytes:
    damaged = bytearray(data)
    damaged[position // 8 % len(damaged)] ^= 1 << (position % 8)
    return bytes(damaged)


def assert_every_example_is_refused(
    world: World, examples: st.SearchStrategy[Any], payload_of: Callable[[Any], bytes]
) -> None:
    """Publish ``payload_of(example)`` for each hypothesis example as an enrollment: the
    edge refuses every one (each example checked on its own, then all together), and
    still acks a good packet afterwards."""
    before = world.tally()

    @FUZZ
    @given(example_value=examples)
    def publish(example_value: Any) -> None:
        example = world.tally()
        world.publish("enrollments", payload_of(example_value))
        world.assert_all_refused_since(example, EXAMPLE_TIMEOUT)

    publish()
    world.assert_all_refused_since(before)
    world.assert_still_acks_a_good_packet()


def test_random_bytes_as_an_enrollment_are_refused(world: World) -> None:
    assert_every_example_is_refused(world, st.binary(max_size=2048), lambda payload: payload)


def test_random_bytes_in_a_good_envelope_are_refused(world: World) -> None:
    assert_every_example_is_refused(world, st.binary(max_size=2048), world.wire)


def test_json_of_the_wrong_shape_as_an_enrollment_is_refused(world: World) -> None:
    assert_every_example_is_refused(
        world, json_values, lambda value: world.wire(json.dumps(value).encode())
    )


def test_truncated_or_bit_flipped_envelopes_are_refused(world: World) -> None:
    def damaged_envelope(data: Any) -> bytes:
        wire = world.wire(world.booths[BOOTH].seal().data)
        if data.draw(st.booleans(), label="truncate"):
            return wire[: data.draw(st.integers(0, len(wire) - 1), label="length")]
        return flip_bit(wire, data.draw(st.integers(0, len(wire) * 8 - 1), label="bit"))

    assert_every_example_is_refused(world, st.data(), damaged_envelope)


def test_truncated_or_bit_flipped_sealed_packets_are_refused(world: World) -> None:
    def damaged_packet(data: Any) -> bytes:
        packet = world.booths[BOOTH].seal().data
        if data.draw(st.booleans(), label="truncate"):
            return world.wire(packet[: data.draw(st.integers(0, len(packet) - 1), label="length")])
        bit = data.draw(st.integers(0, len(packet) * 8 - 1), label="bit")
        return world.wire(flip_bit(packet, bit))

    assert_every_example_is_refused(world, st.data(), damaged_packet)


def test_another_booths_valid_packet_is_refused(world: World) -> None:
    before = world.tally()
    world.publish("enrollments", world.wire(world.booths[OTHER].seal().data))
    world.assert_all_refused_since(before)
    # and a booth cannot publish under another booth's topic at all (the broker's ACL)
    with pytest.raises(MqttNotAuthorized):
        world.client.publish_and_wait(
            f"booths/{OTHER}/enrollments", world.booths[OTHER].seal().data, timeout=30
        )
    world.assert_still_acks_a_good_packet()


def test_an_enrollment_over_the_edges_limit_is_refused(world: World) -> None:
    before = world.tally()
    packet = world.booths[BOOTH].seal(photo_bytes=EDGE_PACKET_LIMIT).data
    world.publish("enrollments", world.wire(packet))
    world.assert_all_refused_since(before)
    world.assert_still_acks_a_good_packet()


def test_bad_status_health_and_events_are_refused(world: World) -> None:
    before = world.tally()

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
    def publish(kind: str, payload: bytes) -> None:
        example = world.tally()
        world.publish(kind, payload)
        world.assert_all_refused_since(example, EXAMPLE_TIMEOUT)

    publish()
    world.assert_all_refused_since(before)
    world.assert_still_acks_a_good_packet()


@pytest.mark.parametrize("kind", ["status", "health", "events"])
def test_oversized_messages_are_refused(world: World, kind: str) -> None:
    before = world.tally()
    world.publish(kind, b'{"v": 1, "pad": "' + b"x" * (128 * 1024) + b'"}')
    world.assert_all_refused_since(before)
    world.assert_still_acks_a_good_packet()


def test_the_edge_stores_only_the_good_packets_it_acked(world: World) -> None:
    """Whatever ran before in this module (or alone): a bad enrollment and a bad health
    message are refused, a good packet is acked, and the store holds only the good ones."""
    before = world.tally()
    world.publish("enrollments", b"\x00not a packet")
    world.publish("health", b"[]")
    world.assert_all_refused_since(before)
    world.assert_still_acks_a_good_packet()
    assert world.stored() == world.good_packets_acked
