"""The office shutdown, sequenced like NUT's upsmon primary: booths first, the edge last.

:class:`ShutdownSequencer` runs at most once per process (one decision per outage: the
edge is going down, and a forced shutdown is never called off):

1. publish ``SHUTDOWN`` (retained) on ``office/power`` so every booth parks its session,
   flushes its outbox and powers off;
2. wait until no booth is online any more — presence from the retained
   ``booths/<id>/status`` (``offline`` is published by a booth going down, or by the
   broker as its last will) — but never longer than ``booth_offline_wait_s``;
3. ask the UPS to turn off after a delay and on again when the mains returns
   (``power_off_ups``: :func:`edge_controller.power.ups_off.power_cycle_ups`), so the
   office comes back by itself — NUT's upsmon primary does the same last;
4. run the edge's own shutdown command (``systemctl poweroff`` on a Pi; in tests a
   command that only appends a line to a file).

When the power comes back before step 3 the watcher cancels the sequence (the edge
stays up) and :meth:`ShutdownSequencer.rearm` lets a later outage run it again; once
the UPS has been asked to turn off, nothing calls it off. A UPS command that fails is
logged and reported; the edge halts anyway.

:class:`BoothPresence` keeps the booths' last status from ``booths/+/status``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from ektp.messages import MessageError, StatusMessage, parse_message
from ektp.mqtt.message import ReceivedMessage
from hardware.errors import DeviceError

log = logging.getLogger(__name__)

BOOTH_STATUS_FILTER = "booths/+/status"


class BoothPresence:
    """Which booths say they are online, from their retained status messages.

    Feed it with :meth:`on_status_message` (an MQTT message callback for
    ``booths/+/status``) or :meth:`set_state`. Thread-safe.
    """

    def __init__(self) -> None:
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()

    def on_status_message(self, message: ReceivedMessage) -> None:
        try:
            parsed = parse_message(message.topic, message.payload)
        except MessageError as err:
            log.warning("ignored a malformed booth status on %s: %s", message.topic, err.code)
            return
        if isinstance(parsed, StatusMessage):
            self.set_state(parsed.booth_id, parsed.state)

    def set_state(self, booth_id: str, state: str) -> None:
        with self._lock:
            self._states[booth_id] = state

    def online(self) -> set[str]:
        with self._lock:
            return {booth for booth, state in self._states.items() if state == "online"}


@dataclass(frozen=True)
class ShutdownReport:
    """What the shutdown did, for the log and the tests."""

    reason: str
    booths_online_at_start: tuple[str, ...]
    booths_still_online: tuple[str, ...]
    waited_s: float
    command: tuple[str, ...]
    command_returncode: int | None
    command_error: str | None
    ups_command: str | None = None
    """What the UPS was asked to do (``shutdown.return``); None when it was not asked."""
    ups_error: str | None = None
    """Why the UPS could not be asked (unreachable, refused, no such command)."""


class ShutdownSequencer:
    """Runs the office shutdown once. ``publish_shutdown`` publishes the retained SHUTDOWN."""

    def __init__(
        self,
        *,
        command: Sequence[str],
        booths_online: Callable[[], Collection[str]],
        publish_shutdown: Callable[[], Awaitable[None]],
        booth_offline_wait_s: float,
        command_timeout_s: float = 30.0,
        poll_s: float = 0.1,
        power_off_ups: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        if not command:
            raise ValueError("the shutdown command is empty")
        self.command = tuple(command)
        self._booths_online = booths_online
        self._publish_shutdown = publish_shutdown
        self.booth_offline_wait_s = booth_offline_wait_s
        self.command_timeout_s = command_timeout_s
        self.poll_s = poll_s
        self._power_off_ups = power_off_ups
        self.report: ShutdownReport | None = None
        self.runs = 0
        """How many sequences started (a re-armed sequencer can run again)."""
        self._started = False
        self._command_started = False

    @property
    def started(self) -> bool:
        return self._started

    @property
    def command_started(self) -> bool:
        """The edge's own shutdown command was started: too late to call it off."""
        return self._command_started

    def rearm(self) -> bool:
        """Allow a new sequence (the power came back); False once the command started."""
        if self._command_started:
            return False
        self._started = False
        return True

    def booths_online(self) -> tuple[str, ...]:
        return tuple(sorted(self._booths_online()))

    async def shut_down(
        self, reason: str, *, booths_at_start: Collection[str] | None = None
    ) -> ShutdownReport | None:
        """Sequence the shutdown; None when it already ran (or is running).

        ``booths_at_start`` — the booths online when the low battery was first seen —
        is only reported (the booths may start going down on LOW_BATTERY already).
        """
        if self._started:
            return None
        self._started = True
        self.runs += 1
        log.warning("power: shutting the office down (%s)", reason)
        at_start = (
            tuple(sorted(booths_at_start)) if booths_at_start is not None else self.booths_online()
        )
        try:
            await self._publish_shutdown()
        except Exception:
            # booths that miss SHUTDOWN still go down with the UPS; the edge must not wait
            log.exception("power: could not publish SHUTDOWN")
        waited_from = time.monotonic()
        still_online = await self._wait_for_booths()
        waited = time.monotonic() - waited_from
        if still_online:
            log.warning("power: booths still online after %.0f s: %s", waited, still_online)
        self._command_started = True  # a cancel decided before this line lands before it
        ups_command, ups_error = await self._ask_ups()
        returncode, error = await self._run_command()
        self.report = ShutdownReport(
            reason=reason,
            booths_online_at_start=at_start,
            booths_still_online=still_online,
            waited_s=waited,
            command=self.command,
            command_returncode=returncode,
            command_error=error,
            ups_command=ups_command,
            ups_error=ups_error,
        )
        return self.report

    async def _ask_ups(self) -> tuple[str | None, str | None]:
        if self._power_off_ups is None:
            return None, None
        try:
            sent = await self._power_off_ups()
        except DeviceError as err:
            log.error("power: the UPS was not asked to turn off and come back: %s", err)
            return None, f"{type(err).__name__}: {err}"
        log.warning("power: asked the UPS to turn off and come back (%s)", sent)
        return sent, None

    async def _wait_for_booths(self) -> tuple[str, ...]:
        deadline = time.monotonic() + self.booth_offline_wait_s
        while online := tuple(sorted(self._booths_online())):
            if time.monotonic() >= deadline:
                return online
            await asyncio.sleep(self.poll_s)
        return ()

    async def _run_command(self) -> tuple[int | None, str | None]:
        log.warning("power: running the edge shutdown command %s", " ".join(self.command))
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            log.error("power: cannot start the shutdown command: %s", err)
            return None, f"{type(err).__name__}: {err}"
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), self.command_timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            return None, f"timed out after {self.command_timeout_s:g} s"
        if process.returncode != 0:
            text = stderr.decode("utf-8", "replace").strip()[-300:]
            log.error("power: shutdown command exited %s: %s", process.returncode, text)
            return process.returncode, text or None
        return 0, None
