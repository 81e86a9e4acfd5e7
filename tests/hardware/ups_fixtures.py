"""Fixtures for the UPS tests: a real upsd + dummy-ups, and tiny misbehaving servers.

Import the fixture functions into a test module (their pytest name is the ``name=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest

from hardware.ups import EmulatedUps, EmulatedUpsConfig, open_ups

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def running_emulated_ups(timeout: float = 10.0) -> Iterator[EmulatedUps]:
    """Generator body for a UPS fixture: a private upsd serving UPS ``dummy``, closed after."""
    ups = open_ups(EmulatedUpsConfig(timeout=timeout, startup_timeout=30.0))
    assert isinstance(ups, EmulatedUps)
    try:
        yield ups
    finally:
        ups.close()


@pytest.fixture(name="emulated_ups")
def emulated_ups_fixture() -> Iterator[EmulatedUps]:
    """A private upsd serving UPS ``dummy`` on mains (OL, 100 %, 1800 s), for one test."""
    yield from running_emulated_ups()


@pytest.fixture(name="untouched_ups", scope="module")
def untouched_ups_fixture() -> Iterator[EmulatedUps]:
    """Like ``emulated_ups`` but shared by a module's tests that never change its state."""
    yield from running_emulated_ups()


@contextlib.contextmanager
def fake_upsd(handler: Handler) -> Iterator[int]:
    """Run ``handler`` for every connection on a loopback port (in a thread); yield the port.

    For answers a real upsd never gives (silence, garbage): the real one is tested above.
    """
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port_box: list[int] = []
    stop: asyncio.Event | None = None

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port_box.append(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port_box[0]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def unused_loopback_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
