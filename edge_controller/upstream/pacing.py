"""The bandwidth cap: a token bucket whose rate follows the office-hours schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from edge_controller.config.upstream import UpstreamConfig


def in_office_hours(config: UpstreamConfig, local: dt.datetime) -> bool:
    hours = config.office_hours
    return local.weekday() in hours.weekdays and hours.start <= local.time() < hours.end


def allowed_rate(config: UpstreamConfig, now: dt.datetime, timezone: ZoneInfo) -> float | None:
    """Bytes per second the forwarder may use at ``now`` (None: no cap configured)."""
    if config.link_capacity_kbit is None:
        return None
    local = now.astimezone(timezone)
    share = (
        config.office_hours.link_share
        if in_office_hours(config, local)
        else config.off_hours_link_share
    )
    return config.link_capacity_kbit * 1000 / 8 * share


class TokenBucket:
    """Shared by every upload in flight; ``await take(n)`` before sending ``n`` bytes.

    Debt-based: a taker subtracts its bytes and sleeps off any deficit, so concurrent
    takers queue behind each other and the long-run rate never exceeds ``rate()``.
    Burst: at most ``burst_seconds`` of unused rate is saved up.
    """

    def __init__(
        self,
        rate: Callable[[], float | None],
        *,
        burst_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._rate = rate
        self._burst_seconds = burst_seconds
        self._clock = clock
        self._sleep = sleep
        self._tokens = 0.0
        self._last = clock()

    def current_rate(self) -> float | None:
        return self._rate()

    async def take(self, count: int) -> None:
        rate = self._rate()
        now = self._clock()
        if rate is None:
            self._tokens, self._last = 0.0, now
            return
        self._tokens = min(rate * self._burst_seconds, self._tokens + (now - self._last) * rate)
        self._last = now
        self._tokens -= count
        if self._tokens < 0:
            await self._sleep(-self._tokens / rate)
