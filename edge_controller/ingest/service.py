"""The edge controller as one asyncio program: the owner of its pipelines.

:func:`edge_controller.ingest.build.build_edge_service` wires an :class:`EdgeService`
from the config; ``await service.run()`` starts everything in order and stops it in
reverse when :meth:`EdgeService.stop` is called.

Threads and who owns what:

* paho's network thread only hands each message to the event loop
  (:class:`~edge_controller.ingest.handoff.LoopInbox`: one wake-up per bunch);
* the **event loop** routes messages (:meth:`EdgeService._route`) — packets, opened
  from their transport envelope (:mod:`~edge_controller.ingest.transport`), to the
  :class:`~edge_controller.ingest.pipeline.IngestPipeline`, events and practice results
  to :class:`~edge_controller.ingest.office_events.OfficeEvents`, status and health to
  the booth monitor — and runs the tasks (ingest and acks, queue publisher, heartbeat
  check, roster and review publishers, the forwarder, the dashboard);
* one **database thread** (:class:`~edge_controller.ingest.executor.DatabaseExecutor`)
  owns the SQLite connection: every commit happens there, one at a time;
* packet verification (CPU) and blocking MQTT publishes run in ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_controller.booths.monitor import (
    Alert,
    BoothMonitor,
    BoothView,
    open_alerts,
    registered_booths,
)
from edge_controller.broker.crl_publisher import CrlPublisher
from edge_controller.broker.guard import BrokerGuard
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.edge import EdgeConfig
from edge_controller.config.web import WebConfig
from edge_controller.ingest.alert_recorder import AlertRecorder
from edge_controller.ingest.checks import Incoming, RejectionCounter, count_packets
from edge_controller.ingest.dashboard import dashboard_deps
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.ingest.handoff import LoopInbox
from edge_controller.ingest.office_events import OfficeEvents
from edge_controller.ingest.packet_alerts import PacketAlertTracker
from edge_controller.ingest.pipeline import IngestPipeline
from edge_controller.ingest.transport import EnrollmentOpener
from edge_controller.power.watcher import PowerWatcher
from edge_controller.queue import QueueSnapshot
from edge_controller.review.publisher import ReviewPublisher
from edge_controller.roster.publisher import RosterPublisher
from edge_controller.roster.secret import office_roster_secret
from edge_controller.upstream.forwarder import Forwarder
from edge_controller.upstream.held import watch_held
from edge_controller.web.deps import WebDeps
from edge_controller.web.serve import Dashboard, start_dashboard
from ektp.messages import (
    EventMessage,
    HealthMessage,
    MessageError,
    StatusMessage,
    TrainingResultMessage,
    parse_message,
)
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.mqtt.message import ReceivedMessage
from ektp.topics import Topic, TopicError, booth_subscription, parse_topic

log = logging.getLogger(__name__)
SUBSCRIBE_KINDS = (Topic.ENROLLMENTS, Topic.STATUS, Topic.HEALTH, Topic.EVENTS, Topic.TRAINING)


@dataclass(frozen=True)
class EdgeSnapshot:
    """What the dashboard shows: booths, open alerts, the queue, ingest counters."""

    at: dt.datetime
    booths: list[BoothView]
    alerts: list[Alert]
    queue: QueueSnapshot
    packets_stored: int
    packets_committed_since_start: int
    rejections: dict[str, dict[str, int]]


class Reconnects:
    """Runs callbacks on the event loop each time the broker connection comes back.

    Give :meth:`notify` to the :class:`MqttClient` as ``on_connection_change`` (it is
    called on paho's thread); :meth:`bind` the loop once it runs.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._callbacks: list[Callable[[], None]] = []

    def bind(self, loop: asyncio.AbstractEventLoop, *callbacks: Callable[[], None]) -> None:
        self._callbacks = list(callbacks)
        self._loop = loop

    def notify(self, connected: bool) -> None:
        loop = self._loop
        if connected and loop is not None:
            for callback in self._callbacks:
                loop.call_soon_threadsafe(callback)


@dataclass(frozen=True)
class EdgeParts:
    """The collaborators :func:`~edge_controller.ingest.build.build_edge_service` wires."""

    client: MqttClient
    reconnects: Reconnects
    db: DatabaseExecutor
    monitor: BoothMonitor
    alerts: AlertRecorder
    packet_alerts: PacketAlertTracker
    packets: IngestPipeline
    events: OfficeEvents
    roster_publisher: RosterPublisher
    review_publisher: Callable[[], ReviewPublisher]
    """Made once the database is open (it reads the review key)."""
    broker: MosquittoProcess | None
    broker_guard: BrokerGuard
    """Follows the broker's log; clears retained booth messages."""
    open_power: Callable[[], PowerWatcher] | None
    """Opens the UPS and the generator contact (on the loop's thread, in :meth:`run`)."""
    forwarder: Forwarder | None


class EdgeService:
    """Everything ``rekam-edge run`` does; ``await run()`` until :meth:`stop`."""

    def __init__(self, config: EdgeConfig, parts: EdgeParts, *, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.parts = parts
        self.client = parts.client
        self.monitor = parts.monitor
        self.packets = parts.packets
        self.opener = EnrollmentOpener(
            parts.packets,
            parts.alerts,
            parts.packet_alerts,
            accept_unsealed=config.ingest.accept_unsealed_enrollments,
        )
        """Opens the booths' transport envelopes before the pipeline."""
        self.events = parts.events
        self.roster_publisher = parts.roster_publisher
        self.message_rejections = RejectionCounter()
        """Refused status, health and events messages per (booth, code)."""
        self.ready = threading.Event()
        """Set once subscribed and serving (tests wait on it)."""
        self.dashboard: Dashboard | None = None
        self.power: PowerWatcher | None = None
        self.forwarder: Forwarder | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._inbox = LoopInbox(self._route, clock)

    @property
    def rejections(self) -> RejectionCounter:
        """Refused packets per (booth, code) since start (the ingest pipeline's)."""
        return self.packets.rejections

    @property
    def committed_since_start(self) -> int:
        return self.packets.committed_since_start

    # -- life cycle ---------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._inbox.bind(self._loop)
        self._stop = asyncio.Event()
        parts = self.parts
        if parts.broker is not None:
            await asyncio.to_thread(parts.broker.start)
        await parts.db.open()
        tasks: list[asyncio.Task[Any]] = []
        try:
            self.opener.use(await parts.db.run(office_roster_secret))
            await self.events.open()
            parts.alerts.booth_changes(self.monitor.know(await parts.db.run(registered_booths)))
            crl = self._crl_publisher()
            parts.reconnects.bind(
                self._loop,
                self.events.request_queue_publish,
                self.roster_publisher.republish_all,
                *([crl.republish] if crl else []),
            )
            await self._connect_and_subscribe()
            tasks = [
                asyncio.create_task(self.packets.run(), name="ingest"),
                asyncio.create_task(self.events.publish_queue(), name="queue"),
                asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
                asyncio.create_task(
                    self.roster_publisher.run(parts.db.run, self.client), name="roster"
                ),
                asyncio.create_task(parts.review_publisher().run(), name="reviews"),
                *([asyncio.create_task(crl.run(), name="crl")] if crl else []),
                asyncio.create_task(parts.broker_guard.run(), name="broker-log"),
            ]
            if parts.open_power is not None:
                self.power = parts.open_power()
                self.power.start()
            if parts.forwarder is not None:
                tasks.append(await self._start_forwarder(parts.forwarder))
            if self.config.web is not None:
                self.dashboard = await start_dashboard(self._dashboard_deps(self.config.web))
                log.info("dashboard at %s", self.dashboard.url)
            self.ready.set()
            log.info("edge controller serving as %s", self.config.mqtt.identity)
            await self._stop.wait()
        finally:
            await self._shut_down(tasks)

    def _crl_publisher(self) -> CrlPublisher | None:
        """Publishes the office CRL on office/crl, when the edge knows where it lies."""
        config, broker = self.config.crl, self.config.broker
        path = config.path or (broker.crl_path if broker is not None else None)
        if path is None:
            return None
        return CrlPublisher(path, self.client, check_interval_s=config.check_interval_s)

    async def _start_forwarder(self, forwarder: Forwarder) -> asyncio.Task[None]:
        await forwarder.start()
        self.forwarder = forwarder
        if forwarder.last_status is not None:  # close an alert left open
            self.parts.alerts.upstream_status(forwarder.last_status)
        upstream = forwarder.config
        held = watch_held(self.parts.db.run, self._now, upstream.idle_poll_seconds)
        return asyncio.create_task(held, name="upstream-held")

    def _dashboard_deps(self, web: WebConfig) -> WebDeps:
        return dashboard_deps(
            self.config,
            web,
            booths=self._booth_views,
            power=self.power,
            forwarder=self.forwarder,
            rejections=self.packets.rejections.as_dict,
            message_rejections=self.message_rejections.as_dict,
        )

    async def _shut_down(self, tasks: list[asyncio.Task[Any]]) -> None:
        self.ready.clear()
        if self.dashboard is not None:
            await self.dashboard.stop()
            self.dashboard = None
        if self.power is not None:
            await self.power.aclose()
            self.power = None
        if self.forwarder is not None:
            await self.forwarder.stop()
            self.forwarder = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(self.client.stop, publish_offline=False)
        self.parts.db.close()
        if self.parts.broker is not None:
            await asyncio.to_thread(self.parts.broker.close)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from any thread)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _connect_and_subscribe(self) -> None:
        self.client.start()
        while True:
            try:
                await asyncio.to_thread(self.client.wait_until_connected, 30.0)
                for kind in SUBSCRIBE_KINDS:
                    await asyncio.to_thread(
                        self.client.subscribe, booth_subscription(kind), self._inbox.put
                    )
                return
            except MqttError as err:
                log.warning("waiting for the broker: %s", err)
                if self._stop is not None and self._stop.is_set():
                    raise

    # -- routing (paho thread → loop) ----------------------------------------------

    def _route(self, message: ReceivedMessage, received: float) -> None:
        try:
            topic = parse_topic(message.topic)
        except TopicError:
            log.warning("ignored a message on unknown topic %r", message.topic[:120])
            return
        assert topic.booth_id is not None
        if self.parts.broker_guard.intercept(message):
            return  # a retained copy of a never-retained booth message: cleared
        if topic.kind is Topic.ENROLLMENTS:
            at = dt.datetime.fromtimestamp(received, dt.UTC)
            self.opener.receive(Incoming(topic.booth_id, message.payload, at))
            return
        try:
            parsed = parse_message(message.topic, message.payload)
        except MessageError as err:
            log.warning("refused a message on %s: %s", message.topic, err.code)
            self.message_rejections.add(topic.booth_id, err.code)
            return
        alerts = self.parts.alerts
        if isinstance(parsed, StatusMessage):
            alerts.booth_changes(self.monitor.on_status(parsed, received, retained=message.retain))
        elif isinstance(parsed, HealthMessage):
            alerts.booth_changes(self.monitor.on_health(parsed, received, retained=message.retain))
        elif isinstance(parsed, EventMessage):
            self.events.on_event(parsed)
        elif isinstance(parsed, TrainingResultMessage):
            self.events.on_training_result(parsed)

    async def _heartbeat_loop(self) -> None:
        alerts, packet_alerts = self.parts.alerts, self.parts.packet_alerts
        while True:
            await asyncio.sleep(self.config.health.check_interval_seconds)
            alerts.booth_changes(self.monitor.check(self.clock()))
            alerts.booth_changes(self.monitor.know(await self.parts.db.run(registered_booths)))
            alerts.run_job(packet_alerts.expire(self._now()))

    # -- views -----------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    def _booth_views(self) -> list[BoothView]:
        """The booth registry now (on the loop: no lock needed)."""
        return self.monitor.snapshot(self.clock())

    async def snapshot(self) -> EdgeSnapshot:
        queue, now = self.events.queue, self._now()

        def read(conn: sqlite3.Connection) -> tuple[list[Alert], QueueSnapshot, int]:
            return open_alerts(conn), queue.snapshot(now), count_packets(conn)

        alerts, queue_view, stored = await self.parts.db.run(read)
        return EdgeSnapshot(
            at=now,
            booths=self._booth_views(),
            alerts=alerts,
            queue=queue_view,
            packets_stored=stored,
            packets_committed_since_start=self.packets.committed_since_start,
            rejections=self.packets.rejections.as_dict(),
        )

    def snapshot_from_thread(self, timeout: float = 10.0) -> EdgeSnapshot:
        """:meth:`snapshot` for code outside the loop (another thread)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self.snapshot(), self._loop)
        return future.result(timeout)
