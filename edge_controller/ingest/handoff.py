"""Messages from paho's network thread to the event loop, one wake-up per bunch.

``loop.call_soon_threadsafe`` for every message writes to the loop's wake-up socket
and wakes the loop once per message: in a burst of ~60 KB enrollments that was a
system call, a wake-up and two hand-overs of the GIL per packet between the network
thread and the loop (issue 20). :class:`LoopInbox` queues what arrives and wakes the
loop only when it is not already due to drain the queue; the loop then routes every
message waiting, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable

from ektp.mqtt.message import ReceivedMessage

log = logging.getLogger(__name__)

Route = Callable[[ReceivedMessage, float], None]
"""Called on the loop with each message and the time it was received."""
BUNCH = 64
"""Messages routed per turn of the loop. Draining until nothing waited kept the loop
from the pipeline's check and commit tasks for as long as a burst kept arriving: the
first batches of a burst were a packet or a dozen, and acks waited (issue 20)."""


class LoopInbox:
    """Give :meth:`put` to the MQTT client as the callback; :meth:`bind` the loop first."""

    def __init__(self, route: Route, clock: Callable[[], float]) -> None:
        self._route = route
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: deque[tuple[ReceivedMessage, float]] = deque()
        self._lock = threading.Lock()
        self._drain_due = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def put(self, message: ReceivedMessage) -> None:
        """Queue ``message`` (on paho's thread); wake the loop unless it is due anyway."""
        loop = self._loop
        if loop is None:
            return
        with self._lock:
            self._waiting.append((message, self._clock()))
            if self._drain_due:
                return
            self._drain_due = True
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop has closed: the edge is stopping
            with self._lock:
                self._drain_due = False

    def _drain(self) -> None:
        """Route up to :data:`BUNCH` waiting messages, in order (on the loop); if more
        wait, drain again after the tasks that are ready meanwhile."""
        with self._lock:
            count = min(len(self._waiting), BUNCH)
            bunch = [self._waiting.popleft() for _ in range(count)]
        for message, received in bunch:
            try:
                self._route(message, received)
            except Exception:  # one bad message must not strand the ones behind it
                log.exception("routing a message on %s failed", message.topic[:120])
        with self._lock:
            if not self._waiting:
                self._drain_due = False
                return
        assert self._loop is not None
        self._loop.call_soon(self._drain)
