"""The edge's "power state unknown" alert: upsd does not answer (or has no data).

:class:`UnknownStateAlert` counts the polls that could not tell where the office's
power comes from. Once they held as long as any state change must (``hold_polls``
and ``hold_seconds``) it raises one :class:`PowerAlert`; the watcher clears it when a
known state is adopted again. The alert's text names why upsd failed — NUT's own
``ERR`` code when it sent one — and the last ``ups.status`` it reported (``OB LB``),
so the office knows whether the UPS was on battery when contact was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from edge_controller.power.state import HysteresisRules, PowerSample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PowerAlert:
    """Raise or clear the edge's "power state unknown" alert (upsd not answering)."""

    action: Literal["raise", "clear"]
    kind: Literal["ups_unreachable"]
    detail: str
    at: dt.datetime


class UnknownStateAlert:
    """Feed :meth:`observe` every sample; :meth:`clear` when a known state is adopted."""

    def __init__(
        self,
        rules: HysteresisRules,
        *,
        on_alert: Callable[[PowerAlert], None] | None,
        wall_clock: Callable[[], dt.datetime],
    ) -> None:
        self.rules = rules
        self.is_open = False
        self.last_status_text = ""
        """The last ``ups.status`` upsd gave, in NUT's order (``"OB LB"``)."""
        self._on_alert = on_alert
        self._wall_clock = wall_clock
        self._failed_polls = 0
        self._failing_since = 0.0

    def observe(self, sample: PowerSample) -> None:
        if sample.status_text:
            self.last_status_text = sample.status_text
        if sample.error is None:
            self._failed_polls = 0
            return
        if self._failed_polls == 0:
            self._failing_since = sample.at
        self._failed_polls += 1
        held = sample.at - self._failing_since >= self.rules.hold_seconds
        if not self.is_open and self._failed_polls >= self.rules.hold_polls and held:
            self.is_open = True
            detail = (
                f"upsd {sample.error}: the office power state is unknown"
                f" (last ups.status: {self.last_status_text or 'none'})"
            )
            log.error("power: ALERT %s", detail)
            self._emit(PowerAlert("raise", "ups_unreachable", detail[:300], self._wall_clock()))

    def clear(self) -> None:
        if self.is_open:
            self.is_open = False
            log.warning("power: upsd answers again")
            self._emit(PowerAlert("clear", "ups_unreachable", "upsd answers", self._wall_clock()))

    def _emit(self, alert: PowerAlert) -> None:
        if self._on_alert is None:
            return
        try:
            self._on_alert(alert)
        except Exception:
            log.exception("power: on_alert callback failed")
