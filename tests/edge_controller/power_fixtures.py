"""Fixtures for the power tests: a real upsd + dummy-ups, the generator contact on
gpiozero's MockFactory, the watcher running in its own event-loop thread, simulated
booths that react to ``office/power`` with the kiosk's real guard, and a shutdown
command that only records that it ran (never a real poweroff).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from edge_controller.ingest.db import connect
from edge_controller.power import PowerConfig, PowerWatcher
from ektp.messages import PowerMessage, parse_message
from ektp.mqtt.message import ReceivedMessage
from ektp.topics import OFFICE_POWER
from hardware.gpio import (
    EmulatedGeneratorContact,
    EmulatedGeneratorContactConfig,
    open_generator_contact,
)
from hardware.ups import EmulatedUps
from kiosk.power.guard import BoothPowerGuard
from kiosk.power.policy import PowerPolicy
from tests.edge_controller.broker_fixtures import Office
from tests.hardware.ups_fixtures import running_emulated_ups

T = TypeVar("T")
WAIT = 30.0
"""Generous: two loaded cores."""


def recorder_command(record: Path, label: str) -> list[str]:
    """A "shutdown command" that appends ``label`` to ``record`` and does nothing else."""
    return ["sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "recorder", label, str(record)]


def recorded(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT, what: str = "") -> None:
    """Poll until ``predicate()``; fail the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


def fast_power_config(record: Path, **overrides: Any) -> PowerConfig:
    """Short polls and hysteresis windows, and the recorder as the edge's shutdown."""
    values: dict[str, Any] = {
        "ups": {"backend": "emulated", "timeout": 5.0, "startup_timeout": 30.0},
        "poll_interval_s": 0.15,
        "hold_polls": 2,
        "hold_seconds": 0.5,
        "low_battery_confirm_polls": 2,
        "capture_margin_s": 600,
        "shutdown_runtime_s": 60,
        "booth_offline_wait_s": 20.0,
        "shutdown_command": recorder_command(record, "edge poweroff"),
        "command_timeout_s": 10.0,
    }
    values.update(overrides)
    return PowerConfig.model_validate(values)


@pytest.fixture(name="record")
def record_fixture(tmp_path: Path) -> Path:
    """The file the recorder shutdown commands note what ran in (read it with :func:`recorded`)."""
    return tmp_path / "shutdowns.txt"


@pytest.fixture(name="edge_conn")
def edge_conn_fixture(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """An edge database of the watcher's own (its outage log), apart from any edge service's.
    Ask for it before ``run_watcher``: it is closed after the watchers stop."""
    conn = connect(tmp_path / "watcher.sqlite3", check_same_thread=False)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(name="power_ups")
def power_ups_fixture() -> Iterator[EmulatedUps]:
    """A private upsd serving UPS ``dummy`` on mains (OL, 100 %, 1800 s)."""
    yield from running_emulated_ups(timeout=5.0)


@pytest.fixture(name="generator_contact")
def generator_contact_fixture() -> Iterator[EmulatedGeneratorContact]:
    """The transfer-switch contact on MockFactory, open (no generator)."""
    contact = open_generator_contact(EmulatedGeneratorContactConfig(bounce_s=None))
    assert isinstance(contact, EmulatedGeneratorContact)
    try:
        yield contact
    finally:
        contact.close()


class LoopThread:
    """An asyncio loop in a background thread: the edge's one loop, for a sync test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class RunningWatcher:
    """A started :class:`PowerWatcher` in its own loop thread; ``close()`` stops it."""

    def __init__(self, watcher: PowerWatcher) -> None:
        self.watcher = watcher
        self.thread = LoopThread()

        async def start() -> None:
            watcher.start()

        self.thread.run(start())

    def wait_for_state(self, state: str, timeout: float = WAIT) -> None:
        wait_until(lambda: self.watcher.state == state, timeout, f"the edge to say {state}")

    def wait_for_shutdown(self) -> None:
        """Wait for the shutdown decision, then for its sequence to run the command."""
        wait_until(lambda: self.watcher.machine.shutdown_decided, WAIT, "the shutdown decision")
        self.thread.run(self.watcher.wait_for_shutdown(), timeout=60)

    def close(self) -> None:
        try:
            self.thread.run(self.watcher.aclose())
        finally:
            self.thread.close()


@pytest.fixture(name="run_watcher")
def run_watcher_fixture() -> Iterator[Callable[[PowerWatcher], RunningWatcher]]:
    """Start watchers in loop threads; every one is closed at teardown."""
    started: list[RunningWatcher] = []

    def run(watcher: PowerWatcher) -> RunningWatcher:
        running = RunningWatcher(watcher)
        started.append(running)
        return running

    yield run
    for running in reversed(started):
        running.close()


class SimulatedBooth:
    """A booth's MQTT connection (retained status, last will ``offline``) with the
    kiosk's real :class:`BoothPowerGuard`: on LOW_BATTERY/SHUTDOWN it runs its
    recorder command, then disconnects publishing ``offline``, as a booth going down."""

    def __init__(self, office: Office, booth_id: str, record: Path) -> None:
        self.booth_id = booth_id
        self.client = office.booth_client(booth_id, software_version="test")
        self.policy = PowerPolicy(booth_id=booth_id)
        self.guard = BoothPowerGuard(
            self.policy,
            shutdown_command=recorder_command(record, f"{booth_id} poweroff"),
            after_command=lambda: self.client.stop(timeout=5.0),
        )
        self.seen: list[PowerMessage] = []
        self._lock = threading.Lock()
        self.client.subscribe(OFFICE_POWER, self._on_power)

    def _on_power(self, message: ReceivedMessage) -> None:
        parsed = parse_message(message.topic, message.payload)
        assert isinstance(parsed, PowerMessage)
        with self._lock:
            self.seen.append(parsed)
        self.guard.on_power_message(parsed)

    def states(self) -> list[str]:
        """The states received, repeats of the same state folded."""
        with self._lock:
            states = [m.state for m in self.seen]
        return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]

    def latest(self) -> PowerMessage | None:
        with self._lock:
            return self.seen[-1] if self.seen else None

    def wait_for_state(self, state: str, timeout: float = WAIT) -> PowerMessage:
        wait_until(
            lambda: (m := self.latest()) is not None and m.state == state,
            timeout,
            f"{self.booth_id} to hear {state}",
        )
        latest = self.latest()
        assert latest is not None
        return latest
