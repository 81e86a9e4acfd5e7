"""Booth events and training results into the office's state; the retained office/queue out.

:class:`OfficeEvents` applies each :class:`~ektp.messages.EventMessage` on the
database thread — a capture refused for power goes to the outage log, a booth back
from mobile duty to the mobile statistics, check-ins and ticket calls to the
:class:`~edge_controller.queue.OfficeQueue`, a call for an operator nowhere else than the
received-events log (the queue page reads it there) — and stores practice results. The
retained ``office/queue`` is republished after every queue change and after every
reconnect (:meth:`OfficeEvents.request_queue_publish`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from edge_controller.booths.events import record_booth_event
from edge_controller.config.edge import QueueConfig
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.mobile.stats import is_mobile_event, merge_mobile_event
from edge_controller.power import OutageLog
from edge_controller.queue import OfficeQueue, QueueEventError
from edge_controller.service_times.events import apply_stage_event, is_stage_event
from edge_controller.training import store_training_result
from ektp.messages import (
    OPERATOR_CALL_EVENT,
    POWER_REFUSAL_EVENT,
    AckMessage,
    EventMessage,
    QueueMessage,
    TrainingResultMessage,
    encode_message,
)
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.regions import RegionTable
from ektp.topics import OFFICE_QUEUE, Topic, booth_topic

log = logging.getLogger(__name__)


class OfficeEvents:
    """Applies booth events; publishes the office queue. Call it on the event loop."""

    def __init__(
        self,
        config: QueueConfig,
        *,
        db: DatabaseExecutor,
        client: MqttClient,
        timezone: ZoneInfo,
        now: Callable[[], dt.datetime],
        regions: RegionTable | None = None,
    ) -> None:
        self.config = config
        self._db = db
        self._client = client
        self._timezone = timezone
        self._now = now
        self._regions = regions  # the office's region table, for the queue's NIK/KK rules
        self._queue: OfficeQueue | None = None
        self._queue_dirty = asyncio.Event()
        self._background: set[asyncio.Future[object]] = set()

    @property
    def queue(self) -> OfficeQueue:
        """The office queue (use it on the database thread only); after :meth:`open`."""
        assert self._queue is not None, "OfficeEvents.open() first"
        return self._queue

    async def open(self) -> None:
        """Bind the queue to the database thread's connection; publish it once."""
        config, timezone, regions = self.config, self._timezone, self._regions
        self._queue = await self._db.run(
            lambda conn: OfficeQueue(conn, config, timezone, regions=regions)
        )
        self._queue_dirty.set()

    def request_queue_publish(self) -> None:
        """Publish the retained queue again (e.g. after a reconnect)."""
        self._queue_dirty.set()

    def on_event(self, event: EventMessage) -> None:
        self._spawn(self.apply(event))

    def on_training_result(self, result: TrainingResultMessage) -> None:
        """Store a practice result (idempotent: booths re-send until acked), then ack it."""
        store = functools.partial(store_training_result, result=result, received_at=self._now())
        self._spawn(self._store_and_ack(result.booth_id, result.result_id, store))

    async def _store_and_ack(
        self, booth_id: str, message_id: uuid.UUID, store: Callable[[sqlite3.Connection], object]
    ) -> None:
        await self._db.run(store)
        await self._ack_message(booth_id, message_id)

    async def _ack_message(self, booth_id: str, message_id: uuid.UUID) -> None:
        """Tell the booth its event or result is committed here: it may forget it now.

        Booths keep what they send until this ack (a broker PUBACK is not enough: the
        broker or the edge may die before the edge commits); unacked, it comes again.
        """
        ack = AckMessage(booth_id=booth_id, packet_ids=(), message_ids=(message_id,))
        try:
            await asyncio.to_thread(
                self._client.publish_and_wait,
                booth_topic(booth_id, Topic.ACKS),
                encode_message(ack),
            )
        except MqttError as err:
            log.info(
                "ack of %s to %s not sent (%s); it will come again", message_id, booth_id, err.code
            )

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def apply(self, event: EventMessage) -> None:
        """Apply one event, then ack it to its booth (also a refused one: it never changes)."""
        await self._apply(event)
        await self._ack_message(event.booth_id, event.event_id)

    async def _apply(self, event: EventMessage) -> None:
        received = self._now()  # every event on record once by id; never gates its effects
        await self._db.run(lambda conn: record_booth_event(conn, event, received))
        if event.kind == "audit" and event.name == POWER_REFUSAL_EVENT:
            state = str(event.data.get("power_state", ""))
            await self._db.run(
                lambda conn: OutageLog(conn).record_refusal(
                    event.booth_id, str(event.event_id), event.at, state
                )
            )
            return
        if is_stage_event(event):  # a visit's stage: service times (issue 21)
            tz = self._timezone
            await self._db.run(
                lambda conn: apply_stage_event(conn, event, timezone=tz, now=received)
            )
            return
        if event.kind == "audit" and event.name == OPERATOR_CALL_EVENT:
            # kept in booth_events above: the queue page shows it until the booth next acts
            log.info("booth %s asks for an operator", event.booth_id)
            return
        if is_mobile_event(event):  # a booth back from mobile duty: statistics only
            now = self._now()
            await self._db.run(lambda conn: merge_mobile_event(conn, event, now))
            return
        queue, now = self.queue, self._now()
        try:
            changed = await self._db.run(lambda _conn: queue.apply(event, now))
        except QueueEventError as err:
            log.warning("refused event %s from %s: %s", event.event_id, event.booth_id, err)
            return
        if changed:
            self._queue_dirty.set()

    async def publish_queue(self) -> None:
        """Publish the retained office/queue whenever it is due, until cancelled."""
        queue = self.queue
        while True:
            await self._queue_dirty.wait()
            self._queue_dirty.clear()
            now = self._now()
            message = await self._db.run(functools.partial(_queue_message, queue, now))
            try:
                await asyncio.to_thread(
                    self._client.publish_and_wait,
                    OFFICE_QUEUE,
                    encode_message(message),
                    retain=True,
                )
            except MqttError as err:
                log.warning("office/queue not published (%s); retrying on reconnect", err.code)


def _queue_message(queue: OfficeQueue, now: dt.datetime, _conn: sqlite3.Connection) -> QueueMessage:
    return queue.message(now)
