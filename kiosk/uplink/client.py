"""The booth's link to the edge: drains the outbox, sends heartbeats and events.

:class:`BoothUplink` runs in its own background thread; the kiosk UI only calls
non-blocking methods (:meth:`~BoothUplink.wake`, :meth:`~BoothUplink.send_event`,
:meth:`~BoothUplink.ticket_for`). It connects with the booth's certificate through
:class:`ektp.mqtt.client.MqttClient` (retained ``booths/<id>/status``:
``online`` on connect, last will ``offline``) and:

* subscribes to ``booths/<id>/acks`` and ``office/queue`` before sending anything;
* publishes every unacked outbox record QoS 1 on ``booths/<id>/enrollments``, oldest
  first, sealed in the transport envelope (:mod:`kiosk.uplink.envelope`; none while the
  booth has no office secret), at most ``max_in_flight`` awaiting the edge's ack;
  ``mark_sent`` just before each publish, ``mark_acked`` when the ack names it;
* re-sends everything unacked after each reconnect, and any packet whose ack has not
  come within ``ack_timeout_seconds`` (the edge may have died between receiving and
  committing: it acks only what it committed, and a re-send is a no-op there);
* packets the edge refused for good (the ack's ``rejected`` list) stay in the outbox
  — it has no "rejected" state — but are not sent again while this uplink runs; each
  is reported once as an ``audit`` event ``packet_rejected`` and in :attr:`rejected`;
* publishes a retained :class:`~ektp.messages.HealthMessage` every
  ``health_interval_seconds`` and on every connect (outbox depth, disk free, CPU
  temperature, device states from the caller's ``device_health``).

Events and every other message besides packets (mobile tickets, training results)
are kept in the outbox (``outbox.sendables``) before :meth:`~BoothUplink.send`
returns and published QoS 1 oldest first (reason 16, nobody subscribed, keeps them
for later); like packets, at most ``max_in_flight`` wait for the edge's ack, each is
deleted only when the edge acknowledges its id (``message_ids`` in the ack), and goes
again after a reconnect or ``ack_timeout_seconds``. A check-in's ticket number comes
back on the retained ``office/queue``: see :mod:`edge_controller.queue` for the
contract, and :mod:`kiosk.uplink.events` / :meth:`BoothUplink.ticket_for` for the
booth's half.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping

from ektp.messages import (
    AckMessage,
    DeviceHealth,
    EventMessage,
    QueueMessage,
    QueueTicket,
    StatusMessage,
    encode_message,
)
from ektp.mqtt.client import MqttClient
from ektp.mqtt.config import MqttClientConfig
from ektp.mqtt.errors import MqttError, MqttNotConnected
from ektp.mqtt.message import ReceivedMessage
from ektp.roster_keys import RosterSecret
from ektp.topics import OFFICE_QUEUE, Topic, booth_topic
from kiosk.config.booth import EdgeLink, UplinkSettings
from kiosk.outbox.store import (
    InvalidTransition,
    Outbox,
    OutboxError,
    OutboxFull,
    Sendable,
    UnknownPacket,
)
from kiosk.uplink.envelope import OFFICE_KEY_DEVICE, EnrollmentSealer
from kiosk.uplink.events import OUTBOX_FULL_EVENT, audit_event, event_sendable
from kiosk.uplink.health import health_message
from kiosk.uplink.received import parse_or_warn

log = logging.getLogger(__name__)

NO_MATCHING_SUBSCRIBERS = 16
"""MQTT v5 PUBACK reason: the broker took it but nobody listens (the edge is not up)."""


def _norm(packet_id: str) -> str:
    try:
        return str(uuid.UUID(packet_id))
    except ValueError:
        return packet_id


class BoothUplink:
    """The booth side of ingest; see the module docstring. ``start()``/``stop()``."""

    def __init__(
        self,
        booth_id: str,
        link: EdgeLink,
        outbox: Outbox,
        *,
        settings: UplinkSettings | None = None,
        device_health: Callable[[], Mapping[str, DeviceHealth]] | None = None,
        clock: Callable[[], float] = time.time,
        office_secret: Callable[[], RosterSecret | None] = lambda: None,
    ) -> None:
        """``office_secret``: the office roster secret once the booth has it (packets go
        sealed with it, and only then)."""
        self.booth_id = booth_id
        self.sealer = EnrollmentSealer(booth_id, office_secret)
        self.outbox = outbox
        self.settings = settings or UplinkSettings()
        self._device_health = device_health
        self._clock = clock
        status = {"booth_id": booth_id, "software_version": self.settings.software_version}
        self.client = MqttClient(
            MqttClientConfig(
                host=link.host,
                port=link.port,
                identity=booth_id,
                ca_cert_path=link.ca_cert_path,
                cert_path=link.cert_path,
                key_path=link.key_path,
                status_topic=booth_topic(booth_id, Topic.STATUS),
                keepalive_seconds=self.settings.keepalive_seconds,
                reconnect_max_delay_seconds=self.settings.reconnect_max_delay_seconds,
            ),
            online_payload=StatusMessage(state="online", **status).model_dump(
                mode="json", exclude_none=True
            ),
            offline_payload=StatusMessage(state="offline", **status).model_dump(
                mode="json", exclude_none=True
            ),
            on_connection_change=self._connection_changed,
        )
        self.rejected: dict[str, str] = {}
        """Packet id → the edge's refusal code (kept in the outbox, not re-sent)."""
        self._awaiting: dict[str, tuple[str, float]] = {}  # normalised id → (id, sent at)
        self._acks: queue.Queue[AckMessage] = queue.Queue()
        self._full_reported = False
        self._latest_queue: QueueMessage | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._reconnected = threading.Event()
        self._subscribed = False
        self._next_health = 0.0
        self._thread: threading.Thread | None = None

    # -- life cycle (any thread) ------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self.client.start()
        self._thread = threading.Thread(target=self._run, name="booth-uplink", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and disconnect (publishing ``offline``). Idempotent."""
        if self._thread is None:
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None
        self.client.stop(timeout=min(timeout, 5.0))
        self._subscribed = False

    def __enter__(self) -> BoothUplink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- for the kiosk (non-blocking) -------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.client.connected.is_set()

    def wake(self) -> None:
        """A packet was just committed: send it now rather than at the next poll."""
        self._wake.set()

    def send_event(self, event: EventMessage) -> None:
        """Keep an event durably for the edge (sent in order once connected).

        Returns once it is on disk. Raises :class:`~kiosk.outbox.errors.OutboxFull`
        (after reporting it as an ``audit`` event ``outbox_full``) when the outbox holds
        as many unsent messages as it may: the caller refuses the work.
        """
        self.send(event_sendable(event))

    def send(self, sendable: Sendable) -> None:
        """Keep any message for the broker durably (see :meth:`send_event`)."""
        try:
            self.outbox.sendables.enqueue(sendable)
        except OutboxFull as err:
            self._report_full(err)
            raise
        self._full_reported = False
        self._wake.set()

    def _report_full(self, err: OutboxFull) -> None:
        log.error("outbox full: refusing new work (%s)", err.english())
        if self._full_reported:
            return
        self._full_reported = True
        at = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        alert = audit_event(self.booth_id, OUTBOX_FULL_EVENT, at, waiting=err.params["count"])
        self.outbox.sendables.enqueue(event_sendable(alert), beyond_cap=True)
        self._wake.set()

    def messages_waiting(self) -> int:
        """Events, mobile tickets and training results the broker has not taken yet."""
        return self.outbox.sendables.sendables_waiting()

    @property
    def latest_queue(self) -> QueueMessage | None:
        return self._latest_queue

    def ticket_for(self, event: EventMessage) -> tuple[QueueTicket, str | None] | None:
        """The ticket a check-in event got (by its id) and the booth it is called to, if yet."""
        message = self._latest_queue
        if message is None:
            return None
        for ticket in message.waiting:
            if ticket.request_id == event.event_id:
                return ticket, None
        for booth_id, ticket in message.called.items():
            if ticket.request_id == event.event_id:
                return ticket, booth_id
        return None

    def wait_for_ticket(
        self, event: EventMessage, timeout: float
    ) -> tuple[QueueTicket, str | None] | None:
        """:meth:`ticket_for`, waiting up to ``timeout`` s (not from the UI thread)."""
        deadline = time.monotonic() + timeout
        while (found := self.ticket_for(event)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def pending(self) -> int:
        """Packets still to deliver, not counting those the edge refused."""
        return self.outbox.depth() - len(self.rejected)

    def drain(self, timeout: float) -> bool:
        """Wait until the edge acked every deliverable packet; False on timeout."""
        deadline = time.monotonic() + timeout
        self.wake()
        while self.pending() > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    # -- paho thread ----------------------------------------------------------------

    def _connection_changed(self, connected: bool) -> None:
        if connected:
            self._reconnected.set()
        self._wake.set()

    def _on_ack(self, message: ReceivedMessage) -> None:
        parsed = parse_or_warn(message.topic, message.payload, log, "uplink")
        if isinstance(parsed, AckMessage):
            self._acks.put(parsed)
            self._wake.set()

    def _on_queue(self, message: ReceivedMessage) -> None:
        parsed = parse_or_warn(message.topic, message.payload, log, "uplink")
        if isinstance(parsed, QueueMessage):
            self._latest_queue = parsed

    # -- the uplink thread ------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._step()
            except MqttNotConnected:
                pass  # the reconnect re-sends; nothing is lost, the outbox keeps it all
            except (MqttError, OutboxError):
                log.exception("uplink step failed; retrying")
                self._stopping.wait(1.0)

    def _step(self) -> None:
        self._apply_acks()
        if not self.client.connected.is_set():
            return
        if not self._subscribed:
            self.client.subscribe(booth_topic(self.booth_id, Topic.ACKS), self._on_ack)
            self.client.subscribe(OFFICE_QUEUE, self._on_queue)
            self._subscribed = True
        if self._reconnected.is_set():
            self._reconnected.clear()
            self._awaiting.clear()  # everything unacked goes again
            self.outbox.sendables.send_all_again()
            self._next_health = 0.0
        self._send_events()
        self._send_packets()
        self._send_health()

    def _apply_acks(self) -> None:
        while True:
            try:
                ack = self._acks.get_nowait()
            except queue.Empty:
                return
            if ack.message_ids:
                self.outbox.sendables.acknowledged(str(i) for i in ack.message_ids)
            ids = []
            for packet_uuid in ack.packet_ids:
                original, _ = self._awaiting.pop(str(packet_uuid), (str(packet_uuid), 0.0))
                ids.append(original)
            if ids:
                report = self.outbox.mark_acked(ids)
                if report.unknown:
                    log.warning("acks for packets this outbox never held: %s", report.unknown)
            for refused in ack.rejected:
                key = str(refused.packet_id)
                original, _ = self._awaiting.pop(key, (key, 0.0))
                if original not in self.rejected:
                    self.rejected[original] = refused.code
                    log.error("the edge refused packet %s: %s", original, refused.code)
                    at = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
                    alert = audit_event(
                        self.booth_id, "packet_rejected", at, packet_id=original, code=refused.code
                    )
                    self.outbox.sendables.enqueue(event_sendable(alert), beyond_cap=True)

    def _send_events(self) -> None:
        """Publish the kept messages that are due, oldest first (see the module)."""
        queue_ = self.outbox.sendables
        due = self._clock() - self.settings.ack_timeout_seconds
        room = self.settings.max_in_flight - queue_.in_flight(sent_after=due)
        if room <= 0:
            return  # the edge's acks wake the loop again
        for stored in queue_.pending_sendables(room, sent_before=due):
            queue_.sendable_attempted(stored.seq)
            message = stored.sendable
            reason = self.client.publish_and_wait(message.topic, message.payload)
            if reason == NO_MATCHING_SUBSCRIBERS:
                log.debug("nobody takes %s yet: kept for later", message.topic)
                return  # the edge is not listening: keep it (and the order)
            queue_.sendable_published(stored.seq)  # kept until the edge acks its id

    def _send_packets(self) -> None:
        now = self._clock()
        timeout = self.settings.ack_timeout_seconds
        for key in [k for k, (_, sent) in self._awaiting.items() if now - sent >= timeout]:
            del self._awaiting[key]  # no ack in time: eligible again
        if len(self._awaiting) >= self.settings.max_in_flight:
            return
        topic = booth_topic(self.booth_id, Topic.ENROLLMENTS)
        for record in self.outbox.unacked():
            key = _norm(record.packet_id)
            if record.packet_id in self.rejected or key in self._awaiting:
                continue
            payload = self.sealer.seal(record.packet_id, record.sealed) if record.sealed else None
            if payload is None:
                continue
            try:
                self.outbox.mark_sent(record.packet_id)
            except (InvalidTransition, UnknownPacket):
                continue  # acked meanwhile
            self.client.publish_and_wait(topic, payload)
            self._awaiting[key] = (record.packet_id, self._clock())
            if len(self._awaiting) >= self.settings.max_in_flight:
                return

    def _send_health(self) -> None:
        now = self._clock()
        if now < self._next_health:
            return
        self._next_health = now + self.settings.health_interval_seconds
        devices = dict(self._device_health()) if self._device_health else {}
        depth = self.outbox.depth()
        devices[OFFICE_KEY_DEVICE] = self.sealer.health(depth)
        at = dt.datetime.fromtimestamp(now, dt.UTC)
        message = health_message(self.booth_id, at, devices, depth, self.outbox.path.parent)
        self.client.publish_and_wait(
            booth_topic(self.booth_id, Topic.HEALTH), encode_message(message), retain=True
        )
