"""What the broker's log and retained booth messages mean for the booths and their alerts.

:func:`broker_event_changes` turns one event of the broker's log
(:mod:`edge_controller.broker.log_watch`) into the booth monitor's counts and the alerts
it raises; :func:`retained_booth_topic` tells which retained messages the edge must
clear. Kinds of alert raised here:

``client_takeover`` (subject: the certificate CN)
    a second connection with one certificate: the broker closed the older one. A
    copied certificate knocks the real client off again and again. A booth whose link
    dropped and came back before the broker noticed does it once, from the address it
    had: that alone is not alerted (:class:`TakeoverTracker`).
``retained_message`` (subject: the topic kind)
    a retained message on a booth topic that is never retained (``enrollments``,
    ``events``, ``training``): the edge clears it and never ingests it.
``unregistered_certificate``
    raised by the monitor (:meth:`~edge_controller.booths.monitor.BoothMonitor.on_certificate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from edge_controller.booths.monitor import AlertChange, BoothMonitor
from edge_controller.broker.log_watch import (
    BrokerEvent,
    Connected,
    DeniedPublish,
    RetainedPublish,
    Subscribed,
    Takeover,
)
from edge_controller.config.mosquitto import booth_may_subscribe
from ektp.topics import BOOTH_ID_PATTERN, ParsedTopic, TopicError, is_retained, parse_topic


def retained_booth_topic(topic: str) -> ParsedTopic | None:
    """The parsed topic if a retained message on ``topic`` must be cleared, else None."""
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return None
    if parsed.booth_id is None or is_retained(parsed.kind):
        return None  # office topics, booth status and health, reviews: retained by design
    return parsed


def retained_alert(topic: ParsedTopic, publisher: str | None) -> AlertChange:
    """The alert for a retained message found (and cleared) on a booth topic."""
    assert topic.booth_id is not None
    where = f"booths/{topic.booth_id}/{topic.kind.value}"
    by = f" by certificate {publisher}" if publisher else ""
    detail = f"a retained message on {where}{by} was cleared (booths never retain it)"
    return AlertChange("raise", topic.booth_id, "retained_message", topic.kind.value, detail)


def takeover_alert(cn: str, old: str | None, new: str) -> AlertChange:
    booth_id = cn if BOOTH_ID_PATTERN.fullmatch(cn) else None
    closed = f"its connection from {old}" if old else "its older connection"
    detail = f"certificate {cn} connected a second time (from {new}); the broker closed {closed}"
    return AlertChange("raise", booth_id, "client_takeover", cn, detail)


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0]


class TakeoverTracker:
    """Tells a copied certificate from a booth reconnecting after a dropped link.

    mosquitto logs the takeover, then the new connection's address. Alerted: a
    takeover from another host than the connection it closed, or a second takeover of
    one certificate within ``window_seconds`` (two clients knocking each other off).
    A connection made before the edge began to read the log has no known address.
    """

    def __init__(
        self, window_seconds: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        self._addresses: dict[str, str] = {}  # CN → address of its current connection
        self._pending: set[str] = set()  # taken over; the new connection's line is next
        self._last_takeover: dict[str, float] = {}

    def on_takeover(self, cn: str) -> None:
        self._pending.add(cn)

    def on_connected(self, cn: str, address: str) -> list[AlertChange]:
        old = self._addresses.get(cn)
        self._addresses[cn] = address
        if cn not in self._pending:
            return []
        self._pending.discard(cn)
        now, last = self._clock(), self._last_takeover.get(cn)
        self._last_takeover[cn] = now
        repeated = last is not None and now - last <= self.window_seconds
        if repeated or (old is not None and _host(old) != _host(address)):
            return [takeover_alert(cn, old, address)]
        return []


def broker_event_changes(
    event: BrokerEvent, monitor: BoothMonitor, takeovers: TakeoverTracker
) -> tuple[list[AlertChange], ParsedTopic | None]:
    """The alerts ``event`` raises and the booth topic to clear (if any).

    Subscriptions are judged for booth certificates only: the edge and the observers
    read beyond booth topics by design.
    """
    if isinstance(event, Takeover):
        takeovers.on_takeover(event.cn)
        return [], None
    if isinstance(event, Connected):
        changes = takeovers.on_connected(event.cn, event.address)
        return changes + monitor.on_certificate(event.cn), None
    if isinstance(event, DeniedPublish):
        monitor.on_denied(event.cn, "publish")
        return [], None
    if isinstance(event, Subscribed):
        booth = BOOTH_ID_PATTERN.fullmatch(event.cn) is not None
        if booth and not booth_may_subscribe(event.cn, event.topic_filter):
            monitor.on_denied(event.cn, "subscribe")
        return [], None
    if isinstance(event, RetainedPublish) and event.size > 0:
        topic = retained_booth_topic(event.topic)
        if topic is not None:
            return [retained_alert(topic, event.cn)], topic
    return [], None
