"""A Type=notify service (rekam-edge) tells systemd it is ready only once it serves, then
keeps the watchdog fed from its event loop, and says it is stopping when it ends."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

from ektp.sd_notify import SystemdNotifier, notify_when_ready

RECEIVE_TIMEOUT_SECONDS = 10.0


def test_ready_only_once_serving_then_watchdog_pings_then_stopping(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(str(path))
        manager.settimeout(RECEIVE_TIMEOUT_SECONDS)
        # WatchdogSec=0.2 s: a ping every 0.1 s
        notifier = SystemdNotifier(str(path), watchdog_usec=200_000)
        serving = threading.Event()
        received: list[bytes] = []

        async def service() -> None:
            pings = asyncio.create_task(notify_when_ready(serving, notifier))
            await asyncio.sleep(0.3)
            manager.setblocking(False)
            try:
                early = manager.recv(64)
            except BlockingIOError:
                early = b""
            manager.settimeout(RECEIVE_TIMEOUT_SECONDS)
            received.append(early)  # nothing yet: not serving
            serving.set()
            received.extend(await asyncio.to_thread(lambda: [manager.recv(64) for _ in range(3)]))
            pings.cancel()
            await asyncio.gather(pings, return_exceptions=True)

        asyncio.run(service())
        received.append(manager.recv(64))
    assert received == [b"", b"READY=1", b"WATCHDOG=1", b"WATCHDOG=1", b"STOPPING=1"]


def test_without_systemd_it_does_nothing() -> None:
    async def run() -> None:
        await notify_when_ready(threading.Event(), SystemdNotifier(None, 30_000_000))

    asyncio.run(run())  # returns at once: no socket, nothing to wait for
