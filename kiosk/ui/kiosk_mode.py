"""Kiosk mode on the booth: full screen, no cursor, and a systemd watchdog heartbeat.

:func:`configure_kivy` must run before anything imports ``kivy.core.window`` (the
window is made on that import). :class:`SystemdNotifier` (``ektp.sd_notify``) speaks the
``sd_notify`` datagram protocol itself (no libsystemd needed): ``READY=1`` once the first screen
shows, then ``WATCHDOG=1`` from the UI clock — so a frozen UI thread stops the pings
and systemd restarts the app (``WatchdogSec=`` in ``kiosk/systemd/rekam-kiosk.service``).
"""

from __future__ import annotations

import os
from typing import Protocol

from ektp.sd_notify import SystemdNotifier

__all__ = ["Heartbeat", "SystemdNotifier", "configure_kivy"]


class Heartbeat(Protocol):
    """A service manager's keep-alive (:class:`SystemdNotifier` fits)."""

    interval_seconds: float | None

    def ready(self) -> None: ...

    def alive(self) -> None: ...


def configure_kivy(*, kiosk: bool, size: tuple[int, int] | None = None) -> None:
    """Kivy settings for this process; ``kiosk``: full screen, no cursor, no Escape exit.
    Kivy logs through Python's logging, at the level the kiosk set."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    # Kivy's default (KIVY) log mode puts its handlers on the root logger and lowers the
    # root to NOTSET: every module's DEBUG line (a line per MQTT packet) went to the
    # journal twice and to a log file of Kivy's own on the SD card. In PYTHON mode Kivy's
    # records go through the kiosk's logging (INFO, one line each, the journal only).
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
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
