"""The edge controller as one asyncio program: broker link, ingest, booths, queue.

Threads and who owns what:

* paho's network thread only hands each message to the event loop
  (``loop.call_soon_threadsafe``);
* the **event loop** routes messages, keeps the booth monitor, and runs the tasks
  (ingest, acks, queue publisher, heartbeat check);
* one **database thread** (:class:`DatabaseThread`) owns the SQLite connection:
  every commit happens there, one at a time;
* packet verification (CPU) and blocking MQTT publishes run in
  ``asyncio.to_thread``.

Ingest batches whatever is waiting (up to ``ingest.max_batch``) into one commit and
hands the acks to the ack task only after that commit returned (see
:mod:`edge_controller.ingest.checks`). The retained ``office/queue`` is republished after
every queue change and after every reconnect.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_controller.booths.keys import BoothKeyRing, booth_key_rings
from edge_controller.booths.monitor import (
    Alert,
    AlertChange,
    BoothMonitor,
    BoothView,
    apply_alert_changes,
    open_alerts,
    registered_booths,
)
from edge_controller.broker.files import MosquittoProcess
from edge_controller.config.edge import EdgeConfig
from edge_controller.ingest.checks import (
    Checked,
    Incoming,
    IngestResult,
    RejectionCounter,
    ack_messages,
    check_packet,
    commit_checked,
    count_packets,
    pause_before_commit,
)
from edge_controller.ingest.db import connect
from edge_controller.ingest.packet_alerts import PacketAlertTracker
from edge_controller.mobile.stats import is_mobile_event, merge_mobile_event
from edge_controller.power import OutageLog, build_power_watcher
from edge_controller.power.watcher import PowerAlert, PowerWatcher
from edge_controller.queue import OfficeQueue, QueueEventError, QueueSnapshot
from edge_controller.review.publisher import ReviewPublisher
from edge_controller.roster.publisher import RosterPublisher
from edge_controller.training import store_training_result
from edge_controller.upstream import Forwarder, UpstreamStatus, start_forwarder
from edge_controller.upstream.alerts import stale_backlog_change
from edge_controller.upstream.held import watch_held
from edge_controller.web.serve import Dashboard, start_dashboard_for_service
from ektp.messages import (
    POWER_REFUSAL_EVENT,
    EventMessage,
    HealthMessage,
    MessageError,
    QueueMessage,
    StatusMessage,
    TrainingResultMessage,
    encode_message,
    parse_message,
)
from ektp.mqtt_client import MqttClient, MqttError, ReceivedMessage
from ektp.topics import (
    OFFICE_QUEUE,
    Topic,
    TopicError,
    booth_subscription,
    booth_topic,
    parse_topic,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
SUBSCRIBE_KINDS = (Topic.ENROLLMENTS, Topic.STATUS, Topic.HEALTH, Topic.EVENTS, Topic.TRAINING)


class DatabaseThread:
    """One thread that owns the edge database connection; ``run(fn)`` calls ``fn(conn)``."""

    def __init__(self, path: str) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="edge-db")
        self._conn: sqlite3.Connection | None = None
        self._executor.submit(self._open, path).result()

    def _open(self, path: str) -> None:
        self._conn = connect(path)

    async def run(self, function: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, function)

    def run_blocking(self, function: Callable[[sqlite3.Connection], T]) -> T:
        return self._executor.submit(self._call, function).result()

    def _call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        assert self._conn is not None
        return function(self._conn)

    def close(self) -> None:
        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(close_connection).result()
        self._executor.shutdown(wait=True)


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


class EdgeService:
    """Everything ``rekam-edge run`` does; ``await run()`` until :meth:`stop`."""

    def __init__(self, config: EdgeConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.monitor = BoothMonitor(config.health)
        self.rejections = RejectionCounter()
        self.message_rejections = RejectionCounter()
        """Refused status, health and events messages per (booth, code)."""
        self.committed_since_start = 0
        self.ready = threading.Event()
        self.dashboard: Dashboard | None = None
        self.power: PowerWatcher | None = None
        self.forwarder: Forwarder | None = None
        self.roster_publisher = RosterPublisher(config.roster)
        self.packet_alerts = PacketAlertTracker(config.health.packet_alert_quiet_seconds)
        self._background: set[asyncio.Future[Any]] = set()
        """Set once subscribed and serving (tests wait on it)."""
        self.client = MqttClient(config.mqtt, on_connection_change=self._connection_changed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._db: DatabaseThread | None = None
        self._queue: OfficeQueue | None = None
        self._incoming: asyncio.Queue[Incoming] | None = None
        self._acks: asyncio.Queue[list[IngestResult]] | None = None
        self._queue_dirty: asyncio.Event | None = None
        self._keys: dict[str, Ed25519PublicKey] = {}

    # -- life cycle ---------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._incoming = asyncio.Queue()
        self._acks = asyncio.Queue()
        self._queue_dirty = asyncio.Event()
        broker = MosquittoProcess(self.config.broker) if self.config.broker else None
        if broker is not None:
            await asyncio.to_thread(broker.start)
        self._db = await asyncio.to_thread(DatabaseThread, str(self.config.database.path))
        tasks: list[asyncio.Task[Any]] = []
        try:
            self._queue = await self._db.run(
                lambda conn: OfficeQueue(conn, self.config.queue, self.config.timezone)
            )
            self.monitor.know(await self._db.run(registered_booths))
            await self._connect_and_subscribe()
            self._queue_dirty.set()
            tasks = [
                asyncio.create_task(self._ingest_loop(), name="ingest"),
                asyncio.create_task(self._ack_loop(), name="acks"),
                asyncio.create_task(self._queue_loop(), name="queue"),
                asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
                asyncio.create_task(
                    self.roster_publisher.run(self._db.run, self.client), name="roster"
                ),
                asyncio.create_task(
                    ReviewPublisher(
                        self.config.review,
                        self.config.database.path,
                        self.client,
                        self._db.run,
                        self._now,
                    ).run(),
                    name="reviews",
                ),
            ]
            if self.config.power is not None:
                self.power = build_power_watcher(
                    self.config.power,
                    mqtt=self.client,
                    conn=connect(self.config.database.path),
                    booths_online=self._online_booths,
                    on_alert=self._on_power_alert,
                )
                self.power.start()
            if self.config.upstream is not None:
                self.forwarder = await start_forwarder(
                    self.config.upstream,
                    self.config.database.path,
                    timezone=self.config.timezone,
                    on_alert=self._on_upstream_alert,
                )
                if self.forwarder.last_status is not None:  # close an alert left open
                    self._on_upstream_alert(self.forwarder.last_status)
                held = watch_held(self._db.run, self._now, self.config.upstream.idle_poll_seconds)
                tasks.append(asyncio.create_task(held, name="upstream-held"))
            if self.config.web is not None:
                self.dashboard = await start_dashboard_for_service(self, self.config.web)
                log.info("dashboard at %s", self.dashboard.url)
            self.ready.set()
            log.info("edge controller serving as %s", self.config.mqtt.identity)
            await self._stop.wait()
        finally:
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
            self._db.close()
            if broker is not None:
                await asyncio.to_thread(broker.close)

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
                        self.client.subscribe, booth_subscription(kind), self._on_message
                    )
                return
            except MqttError as err:
                log.warning("waiting for the broker: %s", err)
                if self._stop is not None and self._stop.is_set():
                    raise

    def _connection_changed(self, connected: bool) -> None:
        """paho thread: after a reconnect the retained queue is published again."""
        if connected and self._loop is not None and self._queue_dirty is not None:
            self._loop.call_soon_threadsafe(self._queue_dirty.set)
            self._loop.call_soon_threadsafe(self.roster_publisher.republish_all)

    # -- routing (paho thread → loop) ----------------------------------------------

    def _on_message(self, message: ReceivedMessage) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._route, message, self.clock())

    def _route(self, message: ReceivedMessage, received: float) -> None:
        try:
            topic = parse_topic(message.topic)
        except TopicError:
            log.warning("ignored a message on unknown topic %r", message.topic[:120])
            return
        assert topic.booth_id is not None
        if topic.kind is Topic.ENROLLMENTS:
            assert self._incoming is not None
            at = dt.datetime.fromtimestamp(received, dt.UTC)
            self._incoming.put_nowait(Incoming(topic.booth_id, message.payload, at))
            return
        try:
            parsed = parse_message(message.topic, message.payload)
        except MessageError as err:
            log.warning("refused a message on %s: %s", message.topic, err.code)
            self.message_rejections.add(topic.booth_id, err.code)
            return
        if isinstance(parsed, StatusMessage):
            self._alerts(self.monitor.on_status(parsed, received, retained=message.retain))
        elif isinstance(parsed, HealthMessage):
            self._alerts(self.monitor.on_health(parsed, received, retained=message.retain))
        elif isinstance(parsed, EventMessage):
            asyncio.create_task(self._apply_event(parsed))  # noqa: RUF006 - short, logs itself
        elif isinstance(parsed, TrainingResultMessage):
            assert self._db is not None
            now = self._now()
            store = functools.partial(store_training_result, result=parsed, received_at=now)
            asyncio.create_task(self._db.run(store))  # noqa: RUF006 - idempotent, re-sent

    def _alerts(self, changes: list[AlertChange]) -> None:
        if changes:
            asyncio.create_task(self._store_alerts(changes))  # noqa: RUF006

    async def _store_alerts(self, changes: list[AlertChange]) -> None:
        assert self._db is not None
        now = self._now()
        applied = await self._db.run(lambda conn: apply_alert_changes(conn, changes, now))
        for change in applied:
            level = logging.WARNING if change.action == "raise" else logging.INFO
            log.log(
                level,
                "alert %s %s %s %s %s",
                change.action,
                change.booth_id,
                change.kind,
                change.subject,
                change.detail,
            )

    def _online_booths(self) -> list[str]:
        return [
            view.booth_id for view in self.monitor.snapshot(self.clock()) if view.state == "online"
        ]

    def _on_power_alert(self, alert: PowerAlert) -> None:
        change = AlertChange(alert.action, None, alert.kind, detail=alert.detail)
        self._store_office_alert(change, alert.at)

    def _on_upstream_alert(self, status: UpstreamStatus) -> None:
        self._store_office_alert(stale_backlog_change(status), self._now())

    def _run_alert_job(self, job: Callable[[sqlite3.Connection], object] | None) -> None:
        """Run an alert-clearing job on the database thread, in the background."""
        if job is None or self._db is None:
            return
        task = asyncio.ensure_future(self._db.run(job))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _store_office_alert(self, change: AlertChange, at: dt.datetime) -> None:
        assert self._db is not None
        db = self._db
        task = asyncio.ensure_future(db.run(lambda conn: apply_alert_changes(conn, [change], at)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _apply_event(self, event: EventMessage) -> None:
        assert self._db is not None
        if event.kind == "audit" and event.name == POWER_REFUSAL_EVENT:
            state = str(event.data.get("power_state", ""))
            await self._db.run(
                lambda conn: OutageLog(conn).record_refusal(
                    event.booth_id, str(event.event_id), event.at, state
                )
            )
            return
        if is_mobile_event(event):  # a booth back from mobile duty: statistics only
            now = self._now()
            await self._db.run(lambda conn: merge_mobile_event(conn, event, now))
            return
        assert self._queue is not None
        assert self._queue_dirty
        queue, now = self._queue, self._now()
        try:
            changed = await self._db.run(lambda _conn: queue.apply(event, now))
        except QueueEventError as err:
            log.warning("refused event %s from %s: %s", event.event_id, event.booth_id, err)
            return
        if changed:
            self._queue_dirty.set()

    # -- ingest ---------------------------------------------------------------------

    async def _ingest_loop(self) -> None:
        assert self._incoming is not None
        while True:
            batch = [await self._incoming.get()]
            while len(batch) < self.config.ingest.max_batch and not self._incoming.empty():
                batch.append(self._incoming.get_nowait())
            try:
                await self._ingest(batch)
            except Exception:
                log.exception("ingest of %d packets failed; the booths will re-send", len(batch))

    async def _ingest(self, batch: list[Incoming]) -> None:
        assert self._db is not None
        assert self._acks is not None
        keys = await self._booth_keys({item.booth_id for item in batch})
        limit = self.config.ingest.max_packet_bytes
        grace = dt.timedelta(seconds=self.config.ingest.retired_key_grace_seconds)
        checked: list[Checked] = await asyncio.to_thread(
            lambda: [
                check_packet(i, keys.get(i.booth_id), max_size=limit, retired_key_grace=grace)
                for i in batch
            ]
        )
        if any(item.verified is not None for item in checked):
            await asyncio.to_thread(pause_before_commit, self.config.ingest)
        timezone = self.config.timezone
        results = await self._db.run(lambda conn: commit_checked(conn, checked, timezone))
        self._account(results)
        self._acks.put_nowait(results)

    async def _booth_keys(self, booth_ids: set[str]) -> dict[str, BoothKeyRing]:
        """Active and retired keys of these booths (parsed keys cached by PEM)."""
        assert self._db is not None
        cache = self._keys
        return await self._db.run(lambda conn: booth_key_rings(conn, booth_ids, cache))

    def _account(self, results: list[IngestResult]) -> None:
        changes = []
        for result in results:
            if result.outcome == "committed":
                self.committed_since_start += 1
                self.roster_publisher.request()  # the resident is now recorded
            elif result.outcome in ("rejected", "unknown_booth"):
                code = result.code or "packet.rejected"
                self.rejections.add(result.booth_id, code)
                log.warning(
                    "refused packet %s from %s: %s",
                    result.packet_id or "(unreadable)",
                    result.booth_id,
                    code,
                )
                kind = "unknown_booth" if result.outcome == "unknown_booth" else "packet_rejected"
                detail = f"packet {result.packet_id or '(id unreadable)'} refused: {code}"
                changes.append(AlertChange("raise", result.booth_id, kind, code, detail))
        self._alerts(changes)
        self._run_alert_job(self.packet_alerts.after_ingest(results, self._now()))

    async def _ack_loop(self) -> None:
        assert self._acks is not None
        while True:
            results = await self._acks.get()
            for booth_id, ack in ack_messages(results).items():
                topic = booth_topic(booth_id, Topic.ACKS)
                try:
                    await asyncio.to_thread(
                        self.client.publish_and_wait, topic, encode_message(ack)
                    )
                except MqttError as err:
                    log.warning("ack to %s not sent (%s); it will re-send", booth_id, err.code)

    # -- queue and heartbeats --------------------------------------------------------

    async def _queue_loop(self) -> None:
        assert self._queue_dirty is not None
        assert self._db is not None
        assert self._queue
        queue = self._queue
        while True:
            await self._queue_dirty.wait()
            self._queue_dirty.clear()
            now = self._now()
            message = await self._db.run(functools.partial(_queue_message, queue, now))
            try:
                await asyncio.to_thread(
                    self.client.publish_and_wait, OFFICE_QUEUE, encode_message(message), retain=True
                )
            except MqttError as err:
                log.warning("office/queue not published (%s); retrying on reconnect", err.code)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.health.check_interval_seconds)
            self._alerts(self.monitor.check(self.clock()))
            self._run_alert_job(self.packet_alerts.expire(self._now()))

    # -- the dashboard's view --------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    async def snapshot(self) -> EdgeSnapshot:
        assert self._db is not None
        assert self._queue is not None
        queue, now = self._queue, self._now()

        def read(conn: sqlite3.Connection) -> tuple[list[Alert], QueueSnapshot, int]:
            return open_alerts(conn), queue.snapshot(now), count_packets(conn)

        alerts, queue_view, stored = await self._db.run(read)
        return EdgeSnapshot(
            at=now,
            booths=self.monitor.snapshot(self.clock()),
            alerts=alerts,
            queue=queue_view,
            packets_stored=stored,
            packets_committed_since_start=self.committed_since_start,
            rejections=self.rejections.as_dict(),
        )

    def snapshot_from_thread(self, timeout: float = 10.0) -> EdgeSnapshot:
        """:meth:`snapshot` for code outside the loop (another thread)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self.snapshot(), self._loop)
        return future.result(timeout)


def _queue_message(queue: OfficeQueue, now: dt.datetime, _conn: sqlite3.Connection) -> QueueMessage:
    return queue.message(now)
