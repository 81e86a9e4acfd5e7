"""systemd's ``sd_notify`` protocol, spoken directly (no libsystemd needed).

A service with ``Type=notify`` sends ``READY=1`` once it serves, and with ``WatchdogSec=``
``WATCHDOG=1`` at least every half period: silence that long and systemd restarts it.
:class:`SystemdNotifier` writes those datagrams to ``$NOTIFY_SOCKET`` and does nothing
without one (a test, a shell). :func:`notify_when_ready` does both for an asyncio service:
the pings come from its event loop, so a loop that hangs stops them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Mapping

log = logging.getLogger(__name__)
READY_POLL_SECONDS = 0.2


class SystemdNotifier:
    """``sd_notify`` over the service manager's socket; does nothing without one."""

    def __init__(self, socket_path: str | None, watchdog_usec: int | None = None) -> None:
        self._address: str | None = None
        if socket_path:
            # An address starting with "@" is in the abstract namespace.
            self._address = "\0" + socket_path[1:] if socket_path.startswith("@") else socket_path
        self.interval_seconds: float | None = (
            watchdog_usec / 2_000_000 if watchdog_usec and self._address else None
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SystemdNotifier:
        """From ``NOTIFY_SOCKET`` and ``WATCHDOG_USEC`` (read when called, in ``main``)."""
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        if pid and pid != str(os.getpid()):
            usec = ""  # the watchdog belongs to another process
        return cls(environ.get("NOTIFY_SOCKET"), int(usec) if usec.isdigit() else None)

    @property
    def active(self) -> bool:
        return self._address is not None

    def notify(self, message: str) -> bool:
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self._address)
        except OSError as err:
            log.warning("sd_notify failed: %s", err)
            return False
        return True

    def ready(self) -> None:
        self.notify("READY=1")

    def alive(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")


async def notify_when_ready(ready: threading.Event, notifier: SystemdNotifier) -> None:
    """``READY=1`` once ``ready`` is set, then ``WATCHDOG=1`` every half watchdog period
    from this event loop, until cancelled (then ``STOPPING=1``)."""
    if not notifier.active:
        return
    try:
        while not ready.is_set():
            await asyncio.sleep(READY_POLL_SECONDS)
        notifier.ready()
        while notifier.interval_seconds is not None:
            notifier.alive()
            await asyncio.sleep(notifier.interval_seconds)
        await asyncio.Event().wait()  # no watchdog: only STOPPING=1 is left to say
    except asyncio.CancelledError:
        notifier.stopping()
        raise
