"""The booth side of :mod:`bench.fleet`, run in each worker process.

Every :class:`SimBooth` is what the network sees of a kiosk: a retained ``online``
status with its last will, the subscriptions a kiosk makes (its acks and reviews, the
office topics of the broker's ACL), health reports, queue events, and sealed enrollment
packets published QoS 1 and counted as delivered when the edge's ack names them.
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import json
import logging
import os
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bench.fleet_specs import BoothSpec, Steady, WorkerSpec, read_packets
from edge_controller.config.mosquitto import booth_reads
from ektp.messages import HealthMessage, StatusMessage, encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.message import ReceivedMessage
from ektp.packet import seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import FINGER_ORDER, EnrollmentRecord, FingerCapture, QualityScores
from ektp.roster_keys import RosterSecret
from ektp.services import Document, ServiceType
from ektp.topics import Topic, booth_topic
from ektp.transport_seal import TransportKey
from kiosk.uplink.events import call_next_event, check_in_event

WITA = dt.timezone(dt.timedelta(hours=8))
ACK_WAIT_SECONDS = 600.0


class SimBooth:
    """One booth: its key, its packets, its connection, its pending acks."""

    def __init__(self, worker: WorkerSpec, spec: BoothSpec) -> None:
        self.worker = worker
        self.spec = spec
        self.booth_id = spec.booth_id
        self.key = Ed25519PrivateKey.generate()
        self.packets: list[tuple[str, bytes]] = []
        self.next_packet = 0
        self.client: MqttClient | None = None
        self.received: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._sent: dict[str, float] = {}
        self.latencies: dict[str, float] = {}
        self.last_ack = 0.0
        self._drained = threading.Condition(self._lock)
        self.office_key: TransportKey | None = None
        """Seals each packet for the edge, as a kiosk's uplink does (:meth:`use_secret`)."""

    def use_secret(self, secret: RosterSecret) -> None:
        self.office_key = TransportKey(secret)

    def prepare(self) -> bytes:
        if self.spec.packets_file is not None:
            for data in read_packets(self.spec.packets_file):
                packet_id = uuid.UUID(json.loads(_manifest(data))["packet_id"])
                self.packets.append((str(packet_id), data))
        else:
            central = X25519PrivateKey.generate().public_key()
            for nik, kk, kelurahan in self.spec.residents:
                sealed = seal(
                    _record(self.booth_id, nik, kk, kelurahan),
                    _parts(self.worker.photo_bytes),
                    booth_id=self.booth_id,
                    booth_signing_key=self.key,
                    central_public_key=central,
                )
                self.packets.append((str(sealed.packet_id), sealed.data))
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def connect(self) -> None:
        status = {"booth_id": self.booth_id, "software_version": "bench"}
        client = MqttClient(
            MqttClientConfig(
                port=self.worker.port,
                identity=self.booth_id,
                ca_cert_path=self.worker.ca_cert_path,
                cert_path=self.spec.cert_path,
                key_path=self.spec.key_path,
                status_topic=booth_topic(self.booth_id, Topic.STATUS),
            ),
            online_payload=StatusMessage(state="online", **status).model_dump(
                mode="json", exclude_none=True
            ),
            offline_payload=StatusMessage(state="offline", **status).model_dump(
                mode="json", exclude_none=True
            ),
        )
        client.start()
        client.wait_until_connected(120)
        client.subscribe(booth_topic(self.booth_id, Topic.ACKS), self._on_ack)
        if self.worker.office_topics:
            for topic_filter in booth_reads(self.booth_id):
                if not topic_filter.endswith("/acks"):
                    client.subscribe(topic_filter, self._on_office)
        self.client = client
        self.publish_health()

    def drop(self) -> None:
        """Lose the connection without a DISCONNECT (the broker then sends the will)."""
        client, self.client = self.client, None
        if client is None:
            return
        paho = client.paho_client
        paho.loop_stop()
        sock = paho.socket()
        if sock is not None:
            sock.close()

    def publish_packet(self) -> bool:
        if self.next_packet >= len(self.packets) or self.client is None:
            return False
        packet_id, data = self.packets[self.next_packet]
        if self.office_key is None:
            raise RuntimeError("no office roster secret: Fleet.use_office_secret() first")
        data = self.office_key.seal(self.booth_id, uuid.UUID(packet_id), data)
        self.next_packet += 1
        with self._lock:
            self._sent[packet_id] = time.monotonic()
        self.client.paho_client.publish(booth_topic(self.booth_id, Topic.ENROLLMENTS), data, 1)
        return True

    def publish_event(self, kind: str, serial: int, secret: RosterSecret) -> None:
        if self.client is None:
            return
        if kind == "check_in":
            nik, kk, kelurahan = _resident(self.spec, serial)
            event = check_in_event(
                self.booth_id,
                nik=nik,
                kk=kk,
                kelurahan=kelurahan,
                service="new_recording",
                secret=secret,
            )
        else:
            event = call_next_event(self.booth_id)
        topic = booth_topic(self.booth_id, Topic.EVENTS)
        self.client.paho_client.publish(topic, encode_message(event), 1)

    def publish_health(self) -> None:
        if self.client is None:
            return
        with self._lock:
            depth = len(self._sent)
        health = HealthMessage(
            booth_id=self.booth_id,
            at=dt.datetime.now(dt.UTC),
            devices={},
            outbox_depth=depth,
            disk_free_bytes=8 << 30,
        )
        topic = booth_topic(self.booth_id, Topic.HEALTH)
        self.client.paho_client.publish(topic, encode_message(health), 1, retain=True)

    def wait_acked(self, deadline: float) -> int:
        """Wait until every sent packet is acked (or the deadline); returns how many are not."""
        with self._drained:
            while self._sent and time.monotonic() < deadline:
                self._drained.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            return len(self._sent)

    def _on_ack(self, message: ReceivedMessage) -> None:
        now = time.monotonic()
        self.received[message.topic.rsplit("/", 1)[-1]] += len(message.payload)
        ids = json.loads(message.payload).get("packet_ids", ())
        with self._drained:
            for text in ids:
                packet_id = str(uuid.UUID(text))
                sent = self._sent.pop(packet_id, None)
                if sent is not None:
                    self.latencies[packet_id] = now - sent
                    self.last_ack = now
            if not self._sent:
                self._drained.notify_all()

    def _on_office(self, message: ReceivedMessage) -> None:
        self.received["/".join(message.topic.split("/")[:2])] += len(message.payload) + len(
            message.topic
        )


def _manifest(data: bytes) -> bytes:
    return base64.b64decode(json.loads(data)["manifest"])


def _resident(spec: BoothSpec, serial: int) -> tuple[str, str, str]:
    if spec.residents:
        return spec.residents[serial % (spec.on_roster or len(spec.residents))]
    return ("6403065402900001", "6403060101100001", "Sambakungan")


def _record(booth_id: str, nik: str, kk: str, kelurahan: str) -> EnrollmentRecord:
    captured = dt.datetime.now(WITA)
    return EnrollmentRecord(
        nik=nik,
        kk=kk,
        name="Budi Santoso",
        kelurahan=kelurahan,
        service=ServiceType.NEW_RECORDING,
        operator_id="op-0001",
        booth_id=booth_id,
        documents_checked=(Document.KK,),
        capture_started_at=captured - dt.timedelta(minutes=8),
        captured_at=captured,
        quality=QualityScores(
            fingers=tuple(FingerCapture(finger=f, quality=80) for f in FINGER_ORDER),
            signature_captured=True,
        ),
    )


def _parts(photo_bytes: int) -> dict[str, bytes]:
    parts = {PHOTO_PART: os.urandom(photo_bytes), SIGNATURE_PART: os.urandom(2_000)}
    return parts | {template_part(f): os.urandom(498) for f in FINGER_ORDER}


def _steady(
    booths: list[SimBooth], seconds: float, cycle: float, health: float, secret_key: bytes
) -> Steady:
    secret = RosterSecret(secret_key)
    for booth in booths:
        booth.use_secret(secret)
    rng = random.Random()
    start = time.monotonic()
    end = start + seconds
    due: list[tuple[float, int, str]] = []
    for index, _booth in enumerate(booths):
        phase = rng.uniform(0, cycle)
        due += [
            (start + phase, index, "enroll"),
            (start + (phase + 0.3 * cycle) % cycle, index, "check_in"),
            (start + (phase + 0.6 * cycle) % cycle, index, "call_next"),
            (start + rng.uniform(0, health), index, "health"),
        ]
    heapq.heapify(due)
    first_packet = {b.booth_id: b.next_packet for b in booths}
    events = 0
    while due:
        at, index, action = heapq.heappop(due)
        if at >= end:
            continue
        time.sleep(max(0.0, at - time.monotonic()))
        booth = booths[index]
        if action == "enroll":
            booth.publish_packet()
        elif action == "health":
            booth.publish_health()
        else:
            booth.publish_event(action, booth.next_packet + events, secret)
            events += 1
        heapq.heappush(due, (at + (health if action == "health" else cycle), index, action))
    deadline = time.monotonic() + ACK_WAIT_SECONDS
    unacked = sum(b.wait_acked(deadline) for b in booths)
    result = Steady(unacked=unacked, events_sent=events)
    for booth in booths:
        ids = {pid for pid, _ in booth.packets[first_packet[booth.booth_id] : booth.next_packet]}
        result.latencies += [t for pid, t in booth.latencies.items() if pid in ids]
        for topic, size in booth.received.items():
            result.bytes_received[topic] = result.bytes_received.get(topic, 0) + size
        booth.received.clear()
    return result


def _storm(booths: list[SimBooth], count: int, start_at: float) -> tuple[float, int]:
    last_ack = [0.0]
    unacked = [0]
    lock = threading.Lock()

    def one(booth: SimBooth) -> None:
        time.sleep(max(0.0, start_at - time.monotonic()))
        booth.connect()
        for _ in range(count):
            booth.publish_packet()
        left = booth.wait_acked(time.monotonic() + ACK_WAIT_SECONDS)
        with lock:
            unacked[0] += left
            last_ack[0] = max(last_ack[0], booth.last_ack)

    _in_threads(booths, one)
    return last_ack[0], unacked[0]


def _burst(booths: list[SimBooth], count: int) -> tuple[float, float]:
    start = time.monotonic()
    for booth in booths:
        for _ in range(count):
            booth.publish_packet()
    deadline = time.monotonic() + ACK_WAIT_SECONDS
    left = sum(b.wait_acked(deadline) for b in booths)
    if left:
        raise RuntimeError(f"{left} packets were not acked")
    return start, time.monotonic()


def _in_threads(booths: list[SimBooth], work: Callable[[SimBooth], None]) -> None:
    errors: list[BaseException] = []

    def guarded(booth: SimBooth) -> None:
        try:
            work(booth)
        except BaseException as err:  # reported to the parent below
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(b,), daemon=True) for b in booths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _connect(booths: list[SimBooth]) -> float:
    _in_threads(booths, SimBooth.connect)
    return time.monotonic()


def _use_secret(booths: list[SimBooth], key: bytes) -> None:
    for booth in booths:
        booth.use_secret(RosterSecret(key))


def _drop(booths: list[SimBooth]) -> None:
    for booth in booths:
        booth.drop()


def worker_main(spec: WorkerSpec, pipe: Connection) -> None:
    # paho logs each failed try while 200 booths reconnect at once: expected, not news
    logging.getLogger("ektp.mqtt").setLevel(logging.CRITICAL)
    booths = [SimBooth(spec, booth) for booth in spec.booths]
    commands: dict[str, Callable[..., Any]] = {
        "prepare": lambda: {b.booth_id: b.prepare() for b in booths},
        "connect": lambda: _connect(booths),
        "burst": lambda count: _burst(booths, count),
        "steady": lambda s, cycle, health, key: _steady(booths, s, cycle, health, key),
        "drop": lambda: _drop(booths),
        "office_secret": lambda key: _use_secret(booths, key),
        "storm": lambda count, start_at: _storm(booths, count, start_at),
    }
    while True:
        command, args = pipe.recv()
        if command == "stop":
            break
        try:
            pipe.send(("ok", commands[command](*args)))
        except Exception:
            pipe.send(("error", traceback.format_exc()))
    for booth in booths:
        if booth.client is not None:
            booth.client.stop(publish_offline=False)
    pipe.close()
