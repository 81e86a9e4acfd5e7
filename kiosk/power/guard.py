"""The booth's clean shutdown when ``office/power`` says so.

:class:`BoothPowerGuard` acts on ``LOW_BATTERY`` / ``SHUTDOWN``, once, on its own
thread: park the session in progress (:mod:`kiosk.power.parking`), flush and close the
outbox, run the booth's shutdown command (``systemctl poweroff`` on a Pi; a recorder in
tests), then ``after_command`` (e.g. stop the uplink, which publishes ``offline``).
A ``SHUTDOWN`` older than ``shutdown_max_age_s`` is not acted on: the edge's last
``SHUTDOWN`` stays retained on the broker after an outage, and a booth starting once the
power is back must not power off again because of it. (``LOW_BATTERY`` is republished by
a live edge every few seconds, so it is taken as it comes.)

Wiring in the booth (see :func:`guard_booth`)::

    policy = PowerPolicy(booth_id=cfg.booth_id, on_refusal=uplink.send_event, status=banner)
    booth.capture.new_capture_allowed = policy.new_capture_allowed
    guard = guard_booth(booth, policy, settings, store=store, after_command=uplink.stop)
    guard.attach(uplink.client)      # subscribes office/power once connected
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from ektp.messages import PowerMessage
from ektp.mqtt.client import MqttClient
from ektp.mqtt.message import ReceivedMessage
from ektp.mqtt.subscriptions import subscribe_when_connected
from ektp.topics import OFFICE_POWER
from kiosk.config.booth import BoothPowerSettings
from kiosk.flow.capture import CaptureFlow
from kiosk.power.parking import ParkedSessionStore, park_flow
from kiosk.power.policy import PowerPolicy
from kiosk.uplink.received import parse_or_warn

log = logging.getLogger(__name__)


def run_inline(action: Callable[[], Any]) -> None:
    action()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ShutdownOutcome:
    parked: bool
    outbox_closed: bool
    command_returncode: int | None
    error: str | None = None


class BoothPowerGuard:
    """Shuts the booth down cleanly when ``office/power`` says LOW_BATTERY or SHUTDOWN.

    ``park`` (returns whether a session was parked) runs through ``dispatch`` — where
    the capture flow lives — and is waited for; then ``close_outbox``, the shutdown
    command, and ``after_command``. Any of the callables may be None. Runs at most once.
    """

    def __init__(
        self,
        policy: PowerPolicy,
        *,
        shutdown_command: Sequence[str],
        park: Callable[[], bool] | None = None,
        close_outbox: Callable[[], None] | None = None,
        after_command: Callable[[], None] | None = None,
        dispatch: Callable[[Callable[[], None]], None] = run_inline,
        command_timeout_s: float = 30.0,
        park_timeout_s: float = 30.0,
        shutdown_max_age_s: float | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        if not shutdown_command:
            raise ValueError("the shutdown command is empty")
        self.policy = policy
        self.shutdown_command = tuple(shutdown_command)
        self._park = park
        self._close_outbox = close_outbox
        self._after_command = after_command
        self._dispatch = dispatch
        self.command_timeout_s = command_timeout_s
        self.park_timeout_s = park_timeout_s
        self.shutdown_max_age_s = shutdown_max_age_s
        self._now = now
        self.started = threading.Event()
        self.done = threading.Event()
        self.outcome: ShutdownOutcome | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def attach(self, client: MqttClient, *, timeout: float = 3600.0) -> None:
        """Subscribe to ``office/power`` on ``client`` as soon as it is connected
        (in a background thread; the subscription survives reconnects)."""

        subscribe_when_connected(
            client, [OFFICE_POWER], self.on_mqtt_message, stop=self.done, name="power-subscribe"
        )

    def on_mqtt_message(self, message: ReceivedMessage) -> None:
        """MQTT callback for ``office/power`` (paho's thread: returns at once)."""
        parsed = parse_or_warn(message.topic, message.payload, log, "power")
        if isinstance(parsed, PowerMessage):
            self.on_power_message(parsed)

    def on_power_message(self, message: PowerMessage) -> None:
        """Take one ``office/power`` message; starts the shutdown when it says so.

        A SHUTDOWN older than ``shutdown_max_age_s`` is ignored (logged): the edge
        publishes it once, just before it powers itself off, so one that old was left
        retained by an outage that is over.
        """
        if self.is_stale_shutdown(message):
            return
        self.policy.update(message)
        if not self.policy.must_shut_down:
            return
        with self._lock:
            if self._thread is not None:
                return
            self.started.set()
            self._thread = threading.Thread(
                target=self._shut_down, args=(message.state,), name="power-shutdown", daemon=True
            )
            self._thread.start()

    def is_stale_shutdown(self, message: PowerMessage) -> bool:
        """True (and logged) for a SHUTDOWN too old to act on."""
        if message.state != "SHUTDOWN" or self.shutdown_max_age_s is None:
            return False
        age_s = (self._now() - message.at).total_seconds()
        if age_s <= self.shutdown_max_age_s:
            return False
        log.warning(
            "power: ignored %s from %s: %.0f s old, more than the %.0f s allowed "
            "(left retained from an outage that is over)",
            message.state,
            message.at.isoformat(),
            age_s,
            self.shutdown_max_age_s,
        )
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the shutdown sequence finished; False on timeout."""
        return self.done.wait(timeout)

    def _shut_down(self, state: str) -> None:
        outcome = ShutdownOutcome(parked=False, outbox_closed=False, command_returncode=None)
        log.warning("power: %s — parking the session and shutting the booth down", state)
        try:
            outcome.parked = self._park_in_flow_thread()
        except Exception as err:  # still close the outbox and power off cleanly
            outcome.error = f"park: {type(err).__name__}"
            log.exception("power: could not park the session")
        if self._close_outbox is not None:
            try:
                self._close_outbox()
                outcome.outbox_closed = True
            except Exception as err:
                outcome.error = f"outbox: {type(err).__name__}"
                log.exception("power: could not close the outbox")
        outcome.command_returncode = self._run_command()
        self.outcome = outcome
        if self._after_command is not None:
            try:
                self._after_command()
            except Exception:
                log.exception("power: after-shutdown step failed")
        self.done.set()

    def _park_in_flow_thread(self) -> bool:
        park = self._park
        if park is None:
            return False
        result: Future[bool] = Future()

        def run() -> None:
            try:
                result.set_result(park())
            except Exception as err:
                result.set_exception(err)

        self._dispatch(run)
        return result.result(timeout=self.park_timeout_s)

    def _run_command(self) -> int | None:
        log.warning("power: running %s", " ".join(self.shutdown_command))
        try:
            done = subprocess.run(  # argv from the booth's own configuration
                self.shutdown_command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.command_timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            log.error("power: shutdown command failed: %s", type(err).__name__)
            return None
        if done.returncode != 0:
            log.error("power: shutdown command exited %s", done.returncode)
        return done.returncode


class GuardedBooth(Protocol):
    """What :func:`guard_booth` needs of a booth (``kiosk.booth.Booth`` is one)."""

    @property
    def capture(self) -> CaptureFlow: ...

    @property
    def outbox(self) -> ClosableOutbox: ...

    def run_locked(self, action: Callable[[], None]) -> None: ...


class ClosableOutbox(Protocol):
    def close(self) -> None: ...


def guard_booth(
    booth: GuardedBooth,
    policy: PowerPolicy,
    settings: BoothPowerSettings,
    *,
    store: ParkedSessionStore,
    after_command: Callable[[], None] | None = None,
    dispatch: Callable[[Callable[[], None]], None] | None = None,
) -> BoothPowerGuard:
    """A guard for a built booth: parks ``booth.capture`` into ``store`` (under the
    booth's lock unless another ``dispatch`` is given), closes ``booth.outbox``."""
    return BoothPowerGuard(
        policy,
        shutdown_command=settings.shutdown_command,
        park=lambda: park_flow(booth.capture, store, "power"),
        close_outbox=booth.outbox.close,
        after_command=after_command,
        dispatch=dispatch or booth.run_locked,
        command_timeout_s=settings.command_timeout_s,
        shutdown_max_age_s=settings.shutdown_max_age_s,
    )
