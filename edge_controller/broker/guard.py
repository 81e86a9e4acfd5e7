"""The edge's watch over the office broker: its log, and retained booth messages.

:class:`BrokerGuard` runs on the service's event loop. :meth:`~BrokerGuard.run` follows
mosquitto's log (:class:`~edge_controller.broker.log_watch.BrokerLogWatch`): client-id
takeovers and unregistered certificates raise alerts, refused publishes and
out-of-bounds subscriptions are counted per certificate on the booth monitor (the
booths page shows them), and a retained publish on a booth topic that is never retained
is cleared at once. :meth:`~BrokerGuard.intercept` sees every booth message before the
service routes it: a retained copy of such a message (delivered when the edge
subscribes, e.g. after a reconnect) is cleared, alerted and never ingested; the edge's
own clearing, echoed back (an empty message), is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from edge_controller.booths.broker_events import (
    TakeoverTracker,
    broker_event_changes,
    retained_alert,
    retained_booth_topic,
)
from edge_controller.booths.monitor import AlertChange, BoothMonitor
from edge_controller.broker.log_watch import BrokerLogWatch
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.mqtt.message import ReceivedMessage
from ektp.topics import ParsedTopic

log = logging.getLogger(__name__)

POLL_INTERVAL_SECONDS = 0.5


class BrokerGuard:
    """Alerts and counts from the broker's log; clears retained booth messages."""

    def __init__(
        self,
        monitor: BoothMonitor,
        client: MqttClient,
        on_changes: Callable[[list[AlertChange]], None],
        *,
        log_path: Path | None,
        log_from_start: bool,
    ) -> None:
        self.monitor = monitor
        self.client = client
        self._on_changes = on_changes
        self._log_path = log_path
        self._log_from_start = log_from_start
        self._clearing: set[str] = set()
        self._echoes: dict[str, int] = {}  # our clearings, not yet seen coming back
        self._background: set[asyncio.Task[None]] = set()

    def intercept(self, message: ReceivedMessage) -> bool:
        """True if the service must not route ``message`` (call on the loop)."""
        topic = retained_booth_topic(message.topic)
        if topic is None:
            return False
        if not message.payload and self._echoes.get(message.topic, 0) > 0:
            self._echoes[message.topic] -= 1
            return True  # our own clearing, echoed back: nothing to ingest
        if not message.retain or not message.payload:
            return False
        log.warning("cleared a retained message on %s (not ingested)", message.topic)
        self._on_changes([retained_alert(topic, None)])
        self._clear(topic)
        return True

    async def run(self) -> None:
        """Follow the broker's log until cancelled (returns at once without a log)."""
        if self._log_path is None:
            return
        watch = BrokerLogWatch(self._log_path, from_start=self._log_from_start)
        takeovers = TakeoverTracker()
        while True:
            for event in await asyncio.to_thread(watch.poll):
                changes, topic = broker_event_changes(event, self.monitor, takeovers)
                self._on_changes(changes)
                if topic is not None:
                    self._clear(topic)
            await asyncio.sleep(POLL_INTERVAL_SECONDS)

    def _clear(self, topic: ParsedTopic) -> None:
        assert topic.booth_id is not None
        name = f"booths/{topic.booth_id}/{topic.kind.value}"
        if name in self._clearing:
            return
        self._clearing.add(name)
        self._echoes[name] = self._echoes.get(name, 0) + 1
        task = asyncio.create_task(self._publish_clear(name))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _publish_clear(self, name: str) -> None:
        try:
            await asyncio.to_thread(self.client.publish_and_wait, name, b"", retain=True)
        except MqttError as err:  # cleared at the next reconnect (the copy comes again)
            log.warning("could not clear the retained message on %s: %s", name, err)
        finally:
            self._clearing.discard(name)
