"""The booth's lights and buzzer follow the booth; its call button asks for an operator.

:class:`BoothSignals` watches and never steers: the capture flow stays plain Python and
knows nothing of GPIO. It hears the flow through the audit entries the flow writes anyway
(:meth:`BoothSignals.watch_flow` wraps the flow's audit sink), the devices through the
booth's health report (:meth:`BoothSignals.watch_health` wraps the probe), and the office
power through the booth's :class:`~kiosk.power.policy.PowerPolicy`, read every ``poll_s``.

What the resident and the operator see and hear (``[signals]`` tunes it):

* green steady — ready: an operator is logged in, no session is open, a new one may start;
* green blinking — saved: for ``saved_blink_s`` after a sealed packet is committed;
* red — a device fault (the health report has a device ``unavailable``) or a power
  warning (the office on battery, battery low, shutting down);
* a short beep — a capture step done (photo accepted, each finger captured, the signature);
  a long beep — a step failed (photo refused, a finger to retry, the sensor failing);
  ``capture_beeps = false`` mutes both;
* the call button — an ``audit`` event ``call_operator`` kept in the outbox for the edge
  (the dashboard's queue page shows it until the booth next calls a ticket), answered by a
  chime at the booth.

Beeps play one after another on their own thread: the flow never waits for the buzzer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ektp.messages import DeviceHealth
from hardware.gpio import BoothGpio, LedMode, open_booth_gpio
from kiosk.config.booth import BoothConfig
from kiosk.config.signals import SignalSettings
from kiosk.flow.ports import AuditSink
from kiosk.outbox.records import Send
from kiosk.uplink.events import call_operator_event, event_sendable

log = logging.getLogger(__name__)

READY_STEPS = frozenset({"ready", "saved"})
"""Capture steps at which a new session may start (``capture.<step>`` audit entries)."""
POWER_WARNING_STATES = frozenset({"ON_BATTERY", "LOW_BATTERY", "SHUTDOWN"})
SAVED_EVENT = "session.saved"
STEP_DONE_EVENTS = frozenset({"photo.accepted", "photo.override", "finger.captured"})
STEP_FAILED_EVENTS = frozenset({"photo.rejected", "finger.retry", "finger.device_error"})
CHIME = (0.15, 0.12, 2)
"""The call button's answer: (on seconds, off seconds, times) — a two-tone "ding-dong"."""
BEEP_GAP_S = 0.12
"""Silence between two beeps, so that each is heard."""

HealthReport = Mapping[str, DeviceHealth]


class PowerView(Protocol):
    """What the signals read of the office power (:class:`~kiosk.power.policy.PowerPolicy`)."""

    @property
    def state(self) -> str | None: ...

    def captures_allowed(self) -> bool: ...


class _WatchedAudit:
    """The flow's audit sink: writes the entry, then tells the signals about it."""

    def __init__(self, audit: AuditSink, listener: Callable[[str, dict[str, Any]], None]) -> None:
        self._audit = audit
        self._listener = listener

    def append(self, event: str, **fields: Any) -> object:
        entry = self._audit.append(event, **fields)
        try:
            self._listener(event, fields)
        except Exception:  # the signals never stop the flow
            log.exception("signals: could not follow %s", event)
        return entry


def beep_for(event: str, fields: Mapping[str, Any]) -> str | None:
    """``"short"``, ``"long"`` or None: the beep an audit entry of the capture flow earns."""
    if event in STEP_DONE_EVENTS:
        return "short"
    if event == "capture.review" and fields.get("previous") == "signature":
        return "short"  # the signature was taken
    if event in STEP_FAILED_EVENTS:
        return "long"
    return None


class BoothSignals:
    """Status LEDs, buzzer and call button following one booth. ``gpio`` None: a no-op."""

    def __init__(
        self,
        gpio: BoothGpio | None,
        settings: SignalSettings,
        *,
        booth_id: str,
        owns_gpio: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gpio = gpio
        self._owns_gpio = owns_gpio
        self.settings = settings
        self.booth_id = booth_id
        self._clock = clock
        self._lock = threading.RLock()
        self._step = "locked"
        self._saved_until: float | None = None
        self._faults: tuple[str, ...] = ()
        self._power: PowerView | None = None
        self._send: Send | None = None
        self._probe: Callable[[], HealthReport] | None = None
        self._own_checks = False
        self._last_call: float | None = None
        self.calls_sent = 0
        self._sounds: queue.Queue[tuple[float, float, int] | None] = queue.Queue()
        self._pending = 0
        self._quiet = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- wiring (build_booth) ---------------------------------------------------------------

    def watch_flow(self, audit: AuditSink) -> AuditSink:
        """The audit sink to give the capture flow: ``audit``, heard by the signals."""
        return _WatchedAudit(audit, self._on_flow_event)

    def watch_health(
        self, probe: Callable[[], HealthReport]
    ) -> Callable[[], dict[str, DeviceHealth]]:
        """The probe to give the uplink: ``probe``, whose reports also light the red LED."""
        self._probe = probe

        def probe_and_show() -> dict[str, DeviceHealth]:
            report = dict(probe())
            self.show_health(report)
            return report

        return probe_and_show

    def follow(
        self,
        *,
        step: str,
        power: PowerView | None,
        send: Send | None,
        check_devices: bool,
    ) -> None:
        """Start: the flow's current ``step``; the office ``power`` (None: no edge); where a
        call for the operator goes (None: nowhere, the chime only); ``check_devices``: probe
        the devices here (a booth without an edge has no health report to follow)."""
        with self._lock:
            self._step = step
            self._power = power
            self._send = send
            self._own_checks = check_devices and self._probe is not None
        if self.gpio is None:
            return
        self.gpio.set_call_button_callback(self.call_button_pressed)
        self._start_thread(self._play_sounds, "signals-buzzer")
        self._start_thread(self._follow_loop, "signals-leds")
        if self._own_checks:
            self._start_thread(self._check_devices_loop, "signals-devices")
        self.refresh()

    # -- what is shown ----------------------------------------------------------------------

    @property
    def faults(self) -> tuple[str, ...]:
        """The devices the last health report called unavailable."""
        return self._faults

    @property
    def power_warning(self) -> bool:
        power = self._power
        return power is not None and power.state in POWER_WARNING_STATES

    def wanted_leds(self) -> tuple[LedMode, LedMode]:
        """(green, red) as the booth stands now."""
        with self._lock:
            fault = bool(self._faults)
            red: LedMode = "on" if fault or self.power_warning else "off"
            if self._saved_until is not None and self._clock() < self._saved_until:
                return "blinking", red
            power = self._power
            may_start = power is None or power.captures_allowed()
            ready = self._step in READY_STEPS and may_start and not fault
            return ("on" if ready else "off"), red

    def refresh(self) -> None:
        """Set the LEDs to what the booth's state asks for."""
        gpio = self.gpio
        if gpio is None or gpio.closed:
            return
        with self._lock:
            green, red = self.wanted_leds()
            gpio.show_leds(green, red)

    def show_health(self, report: HealthReport) -> None:
        """Take a health report: a device ``unavailable`` lights the red LED."""
        faults = tuple(sorted(name for name, h in report.items() if h.state == "unavailable"))
        with self._lock:
            if faults != self._faults:
                log.info("signals: devices unavailable: %s", ", ".join(faults) or "none")
            self._faults = faults
        self.refresh()

    # -- the call button ------------------------------------------------------------------

    def call_button_pressed(self) -> None:
        """The resident asks for an operator (gpiozero's thread): chime, and send the call
        unless one was sent less than ``call_repeat_s`` ago."""
        if self.settings.call_chime:
            self._sound(*CHIME)
        now = self._clock()
        with self._lock:
            send = self._send
            recent = self._last_call is not None and now - self._last_call < (
                self.settings.call_repeat_s
            )
            if send is None or recent:
                return
            self._last_call = now
        try:
            send(event_sendable(call_operator_event(self.booth_id)))
        except Exception:  # e.g. a full outbox (reported by the uplink): the chime stands
            log.exception("signals: the call for an operator could not be kept")
            with self._lock:
                self._last_call = None
            return
        self.calls_sent += 1
        log.info("signals: the resident at %s asks for an operator", self.booth_id)

    # -- sounds ---------------------------------------------------------------------------

    def beep(self, kind: str) -> None:
        """A ``short`` or ``long`` beep, played after those already waiting."""
        seconds = self.settings.long_beep_s if kind == "long" else self.settings.short_beep_s
        self._sound(seconds, BEEP_GAP_S, 1)

    def wait_until_quiet(self, timeout: float) -> bool:
        """Wait until every beep asked for has been played; False on timeout."""
        with self._quiet:
            return self._quiet.wait_for(lambda: self._pending == 0, timeout)

    def _sound(self, on_s: float, off_s: float, times: int) -> None:
        if self.gpio is None or self._stop.is_set():
            return
        with self._quiet:
            self._pending += 1
        self._sounds.put((on_s, off_s, times))

    def _play_sounds(self) -> None:
        while True:
            item = self._sounds.get()
            if item is None:
                return
            on_s, off_s, times = item
            try:
                if not self._stop.is_set() and self.gpio is not None and not self.gpio.closed:
                    self.gpio.beep(times, on_time=on_s, off_time=off_s, wait=True)
                    self._stop.wait(BEEP_GAP_S)
            except Exception:
                log.exception("signals: the buzzer failed")
            finally:
                with self._quiet:
                    self._pending -= 1
                    self._quiet.notify_all()

    # -- following ------------------------------------------------------------------------

    def _on_flow_event(self, event: str, fields: dict[str, Any]) -> None:
        if event.startswith("capture."):
            with self._lock:
                self._step = event.removeprefix("capture.")
        if event == SAVED_EVENT:
            with self._lock:
                self._saved_until = self._clock() + self.settings.saved_blink_s
        kind = beep_for(event, fields)
        if kind is not None and self.settings.capture_beeps:
            self.beep(kind)
        self.refresh()

    def _follow_loop(self) -> None:
        while not self._stop.wait(self.settings.poll_s):
            try:
                self.refresh()
            except Exception:
                log.exception("signals: could not follow the booth")

    def _check_devices_loop(self) -> None:
        """Self-test the devices (a booth without an edge): on its own thread, as a test
        may wait for a capture to release the sensor."""
        probe = self._probe
        while probe is not None:
            try:
                self.show_health(probe())
            except Exception:
                log.exception("signals: could not self-test the devices")
            if self._stop.wait(self.settings.device_check_s):
                return

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Stop following (idempotent); the LEDs go dark; the GPIO closes if it is ours."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self.gpio is not None and not self.gpio.closed:
            self.gpio.set_call_button_callback(None)
        self._sounds.put(None)
        for thread in self._threads:
            thread.join(5.0)
        if self.gpio is not None and not self.gpio.closed:
            self.gpio.show_leds("off", "off")
            if self._owns_gpio:
                self.gpio.close()


def open_booth_signals(config: BoothConfig) -> BoothSignals:
    """Claim the booth's GPIO (``[hardware.gpio]``) for its signals; without it, a no-op.

    The signals own the GPIO: closing them closes it.
    """
    settings = config.hardware.gpio
    gpio = open_booth_gpio(settings) if settings is not None else None
    return BoothSignals(gpio, config.signals, booth_id=config.booth_id, owns_gpio=True)
