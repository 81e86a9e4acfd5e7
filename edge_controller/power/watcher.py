"""The edge's power watcher: polls NUT and the generator contact, publishes ``office/power``.

One :class:`PowerWatcher` runs in the edge's event loop. Every ``poll_interval_s`` it
reads the UPS (``ups.status``, ``battery.charge``, ``battery.runtime``) and the
transfer-switch contact, feeds the :class:`~edge_controller.power.state.PowerStateMachine`
and, when the office's state changes (or ``republish_s`` passed, or the share of
captures allowed changed), publishes a retained :class:`~ektp.messages.PowerMessage`.

* upsd unreachable (or without data) → the state becomes ``UNKNOWN`` after the usual
  hysteresis, a :class:`PowerAlert` is raised (and cleared when upsd answers again);
  nothing is published that would claim mains, and nothing is shut down.
* ``LOW_BATTERY`` → the shutdown is decided once and the
  :class:`~edge_controller.power.shutdown.ShutdownSequencer` runs in its own task.
* Power back (``MAINS``/``GENERATOR`` held) after ``SHUTDOWN`` → the state leaves
  ``SHUTDOWN`` (published), and a sequence whose edge command has not started yet is
  called off: the edge stays up, and a later outage shuts down again.
* Every change goes to the outage log (:class:`~edge_controller.power.outages.OutageLog`).

The service starts it with one call::

    watcher = build_power_watcher(config.power, mqtt=mqtt_client, conn=db_conn)
    task = watcher.start()          # an asyncio task in the running loop
    ...
    await watcher.aclose()          # stops polling, closes upsd connection and GPIO
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Collection
from functools import partial

from edge_controller.config.power import PowerConfig
from edge_controller.power.alerts import PowerAlert, UnknownStateAlert
from edge_controller.power.outages import OutageLog
from edge_controller.power.shutdown import BOOTH_STATUS_FILTER, BoothPresence, ShutdownSequencer
from edge_controller.power.state import (
    HysteresisRules,
    PowerChange,
    PowerSample,
    PowerStateMachine,
    below_margin,
)
from edge_controller.power.ups_off import power_cycle_ups
from ektp.messages import PowerMessage, encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.power import PowerState
from ektp.topics import OFFICE_POWER
from hardware.errors import DeviceError
from hardware.gpio import GeneratorContact, open_generator_contact
from hardware.ups import Ups, open_ups
from hardware.ups.protocol import NutServerError

log = logging.getLogger(__name__)

NO_CAPTURE_STATES = frozenset({PowerState.LOW_BATTERY, PowerState.SHUTDOWN})

Publisher = Callable[[PowerMessage], Awaitable[None]]


def mqtt_publisher(client: MqttClient, timeout: float = 10.0) -> Publisher:
    """Publish retained QoS 1 on ``office/power`` through ``client`` (off the event loop)."""

    async def publish(message: PowerMessage) -> None:
        send = partial(client.publish_and_wait, qos=1, retain=True, timeout=timeout)
        await asyncio.to_thread(send, OFFICE_POWER, encode_message(message))

    return publish


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PowerWatcher:
    """Polls the UPS and the generator contact; see the module docstring."""

    def __init__(
        self,
        config: PowerConfig,
        *,
        ups: Ups,
        generator: GeneratorContact | None = None,
        mqtt: MqttClient | None = None,
        publish: Publisher | None = None,
        booths_online: Callable[[], Collection[str]] | None = None,
        outages: OutageLog | None = None,
        on_alert: Callable[[PowerAlert], None] | None = None,
        on_change: Callable[[PowerChange], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.ups = ups
        self.generator = generator
        self.mqtt = mqtt
        self.machine = PowerStateMachine(
            HysteresisRules(
                hold_polls=config.hold_polls,
                hold_seconds=config.hold_seconds,
                low_battery_confirm_polls=config.low_battery_confirm_polls,
                shutdown_runtime_s=config.shutdown_runtime_s,
                shutdown_charge_pct=config.low_battery_charge_pct,
            )
        )
        self.outages = outages
        self._publish = publish or (mqtt_publisher(mqtt) if mqtt is not None else None)
        self.presence: BoothPresence | None = None
        if booths_online is None and mqtt is not None:
            self.presence = BoothPresence()
            booths_online = self.presence.online
        self.sequencer = ShutdownSequencer(
            command=config.shutdown_command,
            booths_online=booths_online or (lambda: ()),
            publish_shutdown=self._publish_now,
            booth_offline_wait_s=config.booth_offline_wait_s,
            command_timeout_s=config.command_timeout_s,
            power_off_ups=partial(power_cycle_ups, ups, config.ups_off_delay_s)
            if config.ups_power_off
            else None,
        )
        self.unknown_alert = UnknownStateAlert(
            self.machine.rules, on_alert=on_alert, wall_clock=wall_clock
        )
        self._on_change = on_change
        self._clock = clock
        self._wall_clock = wall_clock
        self.last_message: PowerMessage | None = None
        self._captures_blocked = False
        self._last_publish_at: float | None = None
        self._publish_due = False
        self._presence_subscribed = False
        self._task: asyncio.Task[None] | None = None
        self._shutdown_task: asyncio.Task[object] | None = None

    @property
    def state(self) -> PowerState:
        return self.machine.state

    @property
    def alert_open(self) -> bool:
        """The "power state unknown" alert is raised."""
        return self.unknown_alert.is_open

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Start polling in the running event loop; returns the task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="power-watcher")
        return self._task

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("power: one poll failed")
            await asyncio.sleep(self.config.poll_interval_s)

    async def stop(self) -> None:
        """Stop polling (a shutdown already under way is left to finish)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_for_shutdown(self) -> None:
        """Wait until a decided shutdown has run its command (returns at once if none)."""
        if self._shutdown_task is not None:
            await asyncio.shield(self._shutdown_task)

    async def aclose(self) -> None:
        """Stop polling, then close the UPS connection and the GPIO contact."""
        await self.stop()
        try:
            await self.ups.aclose()
        finally:
            if self.generator is not None:
                self.generator.close()

    # -- one poll --------------------------------------------------------------------

    async def poll_once(self) -> PowerChange | None:
        """Read the devices once, update the state, publish and log what changed."""
        await self._subscribe_presence()
        sample = await self._sample()
        change = self.machine.observe(sample)
        self.unknown_alert.observe(sample)
        if change is not None:
            self._changed(change)
            if change.previous is PowerState.SHUTDOWN:
                self._call_off_shutdown()
        low_battery = change is not None and change.state is PowerState.LOW_BATTERY
        online_before = self.sequencer.booths_online() if low_battery else ()
        await self._maybe_publish(force=change is not None)
        if low_battery:
            decided = self.machine.decide_shutdown(sample.at)
            if decided is not None:
                self._changed(decided)
                self._start_shutdown(sample, online_before)  # SHUTDOWN, wait, command
        return change

    async def _sample(self) -> PowerSample:
        running: bool | None = None
        if self.generator is not None:
            try:
                running = self.generator.is_running
            except Exception as err:  # a GPIO read failing must not stop the watch
                log.warning("power: cannot read the generator contact: %s", err)
        try:
            reading = await self.ups.read()
        except DeviceError as err:
            return PowerSample(
                self._clock(), None, generator_running=running, error=_device_error_text(err)
            )
        return PowerSample(
            self._clock(),
            reading.status,
            charge=reading.charge,
            runtime_s=reading.runtime_s,
            generator_running=running,
            error=None if reading.is_known else f"no power source ({reading.status_text!r})",
            status_text=reading.status_text,
        )

    def _changed(self, change: PowerChange) -> None:
        log.warning("power: %s -> %s", change.previous, change.state)
        if change.state is not PowerState.UNKNOWN:
            self.unknown_alert.clear()
        if self.outages is not None:
            detail = self._detail(change.sample)
            try:
                self.outages.record_state(change.state, self._wall_clock(), detail)
            except sqlite3.Error:
                log.exception("power: could not write the outage log")
        if self._on_change is not None:
            try:
                self._on_change(change)
            except Exception:
                log.exception("power: on_change callback failed")

    @staticmethod
    def _detail(sample: PowerSample | None) -> str:
        if sample is None:
            return ""
        if sample.ups_status is None:
            return f"upsd: {sample.error or 'no answer'}"
        status = sample.status_text or " ".join(sorted(sample.ups_status))
        return f"ups.status={status} runtime={sample.runtime_s} charge={sample.charge}"

    # -- publishing ------------------------------------------------------------------

    def _captures_allowed(self, sample: PowerSample | None) -> bool:
        state = self.machine.state
        if state in (PowerState.MAINS, PowerState.GENERATOR):
            self._captures_blocked = False
        elif state in NO_CAPTURE_STATES:
            self._captures_blocked = True
        elif state is PowerState.ON_BATTERY and sample is not None:
            margins = self.config.capture_margin_s, self.config.capture_margin_charge_pct
            if below_margin(sample, *margins):
                self._captures_blocked = True  # latched until mains or the generator is back
        return not self._captures_blocked

    def current_message(self) -> PowerMessage | None:
        """The message for the current state (every state goes on the wire)."""
        state = self.machine.state
        sample = self.machine.last_sample
        allowed = self._captures_allowed(sample)
        reachable = sample is not None and sample.ups_reachable
        return PowerMessage(
            state=state,
            at=self._wall_clock(),
            runtime_left_s=sample.runtime_s if reachable and sample else None,
            battery_charge_pct=sample.charge if reachable and sample else None,
            new_captures_allowed=allowed,
        )

    async def _maybe_publish(self, *, force: bool) -> None:
        previous = self.last_message
        message = self.current_message()
        if message is None:
            return
        now = self._clock()
        stale = (
            self._last_publish_at is None or now - self._last_publish_at >= self.config.republish_s
        )
        allowed_changed = (
            previous is None or previous.new_captures_allowed != message.new_captures_allowed
        )
        if force or stale or allowed_changed or self._publish_due:
            await self._send(message)

    async def _publish_now(self) -> None:
        message = self.current_message()
        if message is not None:
            await self._send(message)

    async def _send(self, message: PowerMessage) -> None:
        self.last_message = message
        self._last_publish_at = self._clock()
        if self._publish is None:
            return
        try:
            await self._publish(message)
            self._publish_due = False
        except MqttError as err:
            self._publish_due = True  # try again next poll
            log.warning("power: could not publish %s: %s", message.state, err)

    async def _subscribe_presence(self) -> None:
        if self.presence is None or self._presence_subscribed or self.mqtt is None:
            return
        if not self.mqtt.connected.is_set():
            return
        try:
            await asyncio.to_thread(
                self.mqtt.subscribe, BOOTH_STATUS_FILTER, self.presence.on_status_message
            )
            self._presence_subscribed = True
        except MqttError as err:
            log.warning("power: cannot follow booth status yet: %s", err)

    # -- shutdown --------------------------------------------------------------------

    def _call_off_shutdown(self) -> None:
        """The power is back: stop a sequence whose edge command has not started."""
        task = self._shutdown_task
        if self.sequencer.command_started:
            log.warning("power: back, but the edge shutdown command already runs")
            return
        if task is not None and not task.done():
            task.cancel()
            log.warning("power: back before the edge shut down: shutdown called off")
        self._shutdown_task = None
        self.sequencer.rearm()

    def _start_shutdown(self, sample: PowerSample, online_before: Collection[str]) -> None:
        reason = f"low battery ({self._detail(sample)})"
        loop = asyncio.get_running_loop()
        self._shutdown_task = loop.create_task(
            self.sequencer.shut_down(reason, booths_at_start=online_before),
            name="power-shutdown",
        )


def _device_error_text(err: DeviceError) -> str:
    """Why upsd could not be read, with NUT's own code (``ERR DATA-STALE``) when it gave one."""
    if isinstance(err, NutServerError):
        return f"{type(err).__name__} ERR {err.code}"
    return f"{type(err).__name__}: {str(err)[:160]}"


def build_power_watcher(
    config: PowerConfig,
    *,
    mqtt: MqttClient | None,
    conn: sqlite3.Connection | None = None,
    booths_online: Callable[[], Collection[str]] | None = None,
    on_alert: Callable[[PowerAlert], None] | None = None,
    on_change: Callable[[PowerChange], None] | None = None,
) -> PowerWatcher:
    """Open the UPS and the generator contact the config names and wire the watcher.

    ``booths_online`` — which booths are online now — defaults to the watcher's own
    follower of ``booths/+/status`` on ``mqtt``; pass the service's own view instead
    if the service already subscribes to that exact filter on the same client (paho
    keeps one callback per filter). Raises DeviceError if a device cannot be opened.
    """
    ups = open_ups(config.ups)
    generator: GeneratorContact | None = None
    try:
        if config.generator is not None:
            generator = open_generator_contact(config.generator)
    except BaseException:
        ups.close()
        raise
    return PowerWatcher(
        config,
        ups=ups,
        generator=generator,
        mqtt=mqtt,
        booths_online=booths_online,
        outages=OutageLog(conn) if conn is not None else None,
        on_alert=on_alert,
        on_change=on_change,
    )
