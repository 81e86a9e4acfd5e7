"""Kiosk mode on the booth: full screen, no cursor, and a systemd watchdog heartbeat.

:func:`configure_kivy` must run before anything imports ``kivy.core.window`` (the
window is made on that import). :class:`SystemdNotifier` speaks the ``sd_notify``
datagram protocol itself (no libsystemd needed): ``READY=1`` once the first screen
shows, then ``WATCHDOG=1`` from the UI clock — so a frozen UI thread stops the pings
and systemd restarts the app (``WatchdogSec=`` in ``kiosk/systemd/rekam-kiosk.service``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger(__name__)


class Heartbeat(Protocol):
    """A service manager's keep-alive (:class:`SystemdNotifier` fits)."""

    interval_seconds: float | None

    def ready(self) -> None: ...

    def alive(self) -> None: ...


def configure_kivy(*, kiosk: bool, size: tuple[int, int] | None = None) -> None:
    """Kivy settings for this process; ``kiosk``: full screen, no cursor, no Escape exit."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    from kivy.config import Config  # noqa: PLC0415 - only after KIVY_NO_ARGS

    Config.set("kivy", "exit_on_escape", "0")
    if size is not None:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    if kiosk:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
        Config.set("kivy", "keyboard_mode", "")


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
