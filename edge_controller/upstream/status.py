"""What the dashboard and ``/metrics`` show about forwarding to central."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

ForwarderState = Literal["starting", "idle", "sending", "backing_off", "stopped"]


@dataclass(frozen=True)
class BacklogFigures:
    """Items not yet at central, as the status and the upstream page show them."""

    backlog_count: int
    backlog_bytes: int
    backlog_enrollments: int
    backlog_telemetry: int
    held_count: int  # refused by central for good: needs a person
    oldest_unsent_at: dt.datetime | None
    oldest_unsent_age_seconds: float | None

    def backlog_fields(self) -> dict[str, Any]:
        """These figures alone, as keyword arguments (for a status or a page)."""
        return {field.name: getattr(self, field.name) for field in fields(BacklogFigures)}


@dataclass(frozen=True)
class UpstreamStatus(BacklogFigures):
    """A snapshot; ages are seconds, rates bytes per second."""

    state: ForwarderState
    alert: bool  # the oldest unsent item is older than alert_unsent_after_hours
    link_rate_bytes_per_second: float  # confirmed by central, last minute
    rate_cap_bytes_per_second: float | None  # the cap now (office hours or not)
    last_success_at: dt.datetime | None  # last receipt stored
    last_error: str
    next_attempt_at: dt.datetime | None  # while backing off
    forwarded_since_start: int
    bytes_sent_since_start: int  # body bytes, re-sends included
    bytes_confirmed_since_start: int
    receipts_stored: int = 0  # central's receipts kept here (forwarded items, ever)
    alert_after_seconds: float | None = None  # the configured age that raises the alert

    def as_dict(self) -> dict[str, Any]:
        result = asdict(self)
        for key, value in result.items():
            if isinstance(value, dt.datetime):
                result[key] = value.isoformat()
        return result


class RateMeter:
    """Bytes confirmed by central over a sliding window."""

    def __init__(self, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._window = window_seconds
        self._clock = clock
        self._events: deque[tuple[float, int]] = deque()
        self.total = 0

    def add(self, count: int) -> None:
        if count > 0:
            self._events.append((self._clock(), count))
            self.total += count

    def rate(self) -> float:
        now = self._clock()
        while self._events and self._events[0][0] < now - self._window:
            self._events.popleft()
        if not self._events:
            return 0.0
        span = max(now - self._events[0][0], 1.0)
        return sum(count for _, count in self._events) / span


class UpstreamCollector(Collector):
    """Prometheus gauges from the forwarder's latest status (no I/O at scrape time).

    ``registry.register(UpstreamCollector(lambda: forwarder.last_status))``
    """

    def __init__(self, latest: Callable[[], UpstreamStatus | None]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[GaugeMetricFamily]:
        status = self._latest()
        if status is None:
            return
        gauges: list[tuple[str, str, float]] = [
            ("rekam_upstream_backlog_items", "Items not yet forwarded", status.backlog_count),
            ("rekam_upstream_backlog_bytes", "Bytes not yet forwarded", status.backlog_bytes),
            ("rekam_upstream_held_items", "Items central refused for good", status.held_count),
            (
                "rekam_upstream_oldest_unsent_age_seconds",
                "Age of the oldest unsent item (0 when none)",
                status.oldest_unsent_age_seconds or 0.0,
            ),
            ("rekam_upstream_alert", "1 when the oldest unsent is too old", int(status.alert)),
            (
                "rekam_upstream_link_rate_bytes_per_second",
                "Bytes per second confirmed by central (last minute)",
                status.link_rate_bytes_per_second,
            ),
            (
                "rekam_upstream_last_success_timestamp_seconds",
                "When the last receipt was stored (0 = never)",
                status.last_success_at.timestamp() if status.last_success_at else 0.0,
            ),
            (
                "rekam_upstream_receipts_stored",
                "Central's receipts kept here (items forwarded)",
                status.receipts_stored,
            ),
            (
                "rekam_upstream_rate_cap_bytes_per_second",
                "The bandwidth cap in force now (0 = no cap)",
                status.rate_cap_bytes_per_second or 0.0,
            ),
            (
                "rekam_upstream_bytes_sent_total",
                "Body bytes sent since start, re-sends included",
                status.bytes_sent_since_start,
            ),
        ]
        for name, help_text, value in gauges:
            yield GaugeMetricFamily(name, help_text, value=float(value))
