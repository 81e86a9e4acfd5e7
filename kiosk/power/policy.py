"""The booth's side of office power: what ``office/power`` allows.

:class:`PowerPolicy` keeps the last :class:`~ektp.messages.PowerMessage` and answers the
capture flow's ``new_capture_allowed()`` hook: no new capture on ``LOW_BATTERY`` or
``SHUTDOWN``, nor on ``ON_BATTERY`` once the runtime left is below the margin (the
edge's ``new_captures_allowed`` flag, or the booth's own ``capture_margin_s``). The
recording in progress is never stopped by the policy. Each refusal is reported as an
``audit`` event named :data:`POWER_REFUSAL_EVENT` (the edge counts them in its outage
report), and the banner is kept up to date (:mod:`kiosk.power.banner`): the banner shows
:meth:`PowerPolicy.notice` (on battery: finish the current recording only; battery low:
the booth shuts down; mains or generator: no banner).

The clean shutdown on ``LOW_BATTERY`` / ``SHUTDOWN`` is :mod:`kiosk.power.guard`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable

from ektp.messages import POWER_REFUSAL_EVENT, EventMessage, PowerMessage
from kiosk.power.banner import (
    BANNER_FOR_OFFICE_STATE,
    MSG_BATTERY_SHORT,
    MSG_ON_BATTERY,
    MSG_SHUTTING_DOWN,
    BannerPower,
    PowerBanner,
)

log = logging.getLogger(__name__)


SHUTDOWN_STATES = frozenset({"LOW_BATTERY", "SHUTDOWN"})


def power_refusal_event(
    booth_id: str, power_state: str, at: dt.datetime | None = None
) -> EventMessage:
    """The audit event telling the edge a capture was refused because of power."""
    return EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind="audit",
        name=POWER_REFUSAL_EVENT,
        data={"power_state": power_state},
    )


class PowerPolicy:
    """What the office's power allows the booth to do now. Thread-safe."""

    def __init__(
        self,
        *,
        booth_id: str | None = None,
        capture_margin_s: int | None = None,
        on_refusal: Callable[[EventMessage], None] | None = None,
        status: PowerBanner | None = None,
    ) -> None:
        self.booth_id = booth_id
        self.capture_margin_s = capture_margin_s
        self._on_refusal = on_refusal
        self._status = status
        self._lock = threading.Lock()
        self.message: PowerMessage | None = None
        self.refusals = 0

    def update(self, message: PowerMessage) -> None:
        """Take a newer ``office/power`` message (an older one is ignored)."""
        with self._lock:
            if self.message is not None and message.at < self.message.at:
                return
            self.message = message
        self._update_status(message)

    @property
    def state(self) -> str | None:
        """The office's power state, or None before the first message."""
        message = self.message
        return None if message is None else message.state

    @property
    def must_shut_down(self) -> bool:
        return self.state in SHUTDOWN_STATES

    def captures_allowed(self) -> bool:
        """Whether a new capture may start, without counting a refusal."""
        message = self.message
        if message is None:
            return True  # no news from the edge: do not stop the office working
        if message.state in SHUTDOWN_STATES:
            return False
        if message.state != "ON_BATTERY":
            return True
        runtime = message.runtime_left_s
        below_margin = (
            self.capture_margin_s is not None
            and runtime is not None
            and runtime < self.capture_margin_s
        )
        return message.new_captures_allowed and not below_margin

    def new_capture_allowed(self) -> bool:
        """The capture flow's hook: called when the operator calls the next resident."""
        allowed = self.captures_allowed()
        if not allowed:
            with self._lock:
                self.refusals += 1
            if self._on_refusal is not None and self.booth_id is not None:
                try:
                    self._on_refusal(power_refusal_event(self.booth_id, self.state or ""))
                except Exception:
                    log.exception("power: could not report a refused capture")
        return allowed

    def notice(self) -> str | None:
        """The banner's message id (translate with the kiosk domain), or None on mains."""
        state = self.state
        if state in SHUTDOWN_STATES:
            return MSG_SHUTTING_DOWN
        if state == "ON_BATTERY":
            return MSG_ON_BATTERY if self.captures_allowed() else MSG_BATTERY_SHORT
        return None

    def show_on(self, status: PowerBanner) -> None:
        """Keep this banner status up to date from now on (the UI attaches it later)."""
        self._status = status
        if self.message is not None:
            self._update_status(self.message)

    def _update_status(self, message: PowerMessage) -> None:
        if self._status is None:
            return
        self._status.power = BANNER_FOR_OFFICE_STATE.get(message.state, BannerPower.LOW_BATTERY)
        self._status.power_notice = self.notice()
        runtime = message.runtime_left_s
        self._status.battery_minutes_left = None if runtime is None else runtime // 60
