"""An emulated UPS that speaks the Megatec/Q1 serial protocol, behind NUT's real ``nutdrv_qx``.

NUT's ``dummy-ups`` (2.8.0) takes no instant command in dummy mode (``upscmd -l`` lists
only ``load.off``, and the driver answers even that with "unknown command"), and its
repeater mode does not forward commands. To see ``shutdown.return`` reach a UPS, this
module emulates the cheapest kind of office UPS: a line-interactive unit on a serial
line speaking Megatec's Q1 protocol, which NUT's ``nutdrv_qx`` (``protocol = megatec``)
drives. :class:`MegatecLine` plays the UPS on the master side of a pseudo-terminal;
:class:`MegatecUpsServer` runs the real driver on the slave side and the real ``upsd``
in front of it, so ``upscmd``, ``upsc`` and :class:`~hardware.ups.client.NutClient` see
a UPS like any other.

The Q1 answer carries no runtime: ``nutdrv_qx`` guesses ``battery.charge`` from the
battery voltage and reports no ``battery.runtime`` (a UPS without runtime, as many are).

Commands seen on the line (test control :meth:`MegatecLine.commands`): ``S<n>`` turns
the output off in ``n`` minutes (``.2``-``.9`` or ``01``-``10``) and back on when the
mains returns, ``S<n>R<m>`` restores after ``m`` minutes, ``C`` cancels, ``T``/``TL``
start battery tests, ``Q`` toggles the beeper.
"""

from __future__ import annotations

import contextlib
import os
import pty
import threading
import tty
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hardware.ups.dummy_server import DummyUpsServer, _nut_ids

BATTERY_LOW_V = 10.4
BATTERY_FULL_V = 13.0
"""nutdrv_qx's guess for a 12 V battery when the UPS states no limits: charge is linear
between these voltages."""


@dataclass(frozen=True)
class ShutdownRequest:
    """A decoded ``S<n>[R<m>]`` command: off after ``off_delay_s``, back on when the
    mains returns (``restore_after_s`` None) or after that many seconds."""

    off_delay_s: int
    restore_after_s: int | None


def parse_shutdown(line: str) -> ShutdownRequest | None:
    """Decode a Megatec shutdown command, or None for any other line."""
    if not line.startswith("S") or len(line) < 3:
        return None
    delay, _, restore = line[1:].partition("R")
    try:
        minutes = float(delay)
        restore_minutes = int(restore) if restore else None
    except ValueError:
        return None
    return ShutdownRequest(round(minutes * 60), restore_minutes * 60 if restore_minutes else None)


class MegatecLine:
    """The UPS end of a pseudo-terminal: answers ``Q1``, ``F`` and ``I``; records the rest.

    Test controls: :meth:`set_state` (status words ``OL``/``OB``/``LB`` and charge),
    :meth:`commands` (every non-poll line received, in order).
    """

    def __init__(self) -> None:
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self.device_path = Path(os.ttyname(self._slave))
        self._lock = threading.Lock()
        self._on_battery = False
        self._low_battery = False
        self._charge = 100.0
        self._commands: list[str] = []
        self._thread = threading.Thread(target=self._serve, name="megatec-ups", daemon=True)
        self._thread.start()

    def set_state(self, status: str, charge: float | None = None) -> None:
        words = set(status.split())
        with self._lock:
            self._on_battery = "OB" in words
            self._low_battery = "LB" in words
            if charge is not None:
                self._charge = charge

    def commands(self) -> list[str]:
        with self._lock:
            return list(self._commands)

    def shutdown_requests(self) -> list[ShutdownRequest]:
        return [r for r in map(parse_shutdown, self.commands()) if r is not None]

    def close(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._thread.join(timeout=5)

    def _q1(self) -> bytes:
        with self._lock:
            volts = BATTERY_LOW_V + (BATTERY_FULL_V - BATTERY_LOW_V) * self._charge / 100
            bits = f"{int(self._on_battery)}{int(self._low_battery)}001000"
            mains = 0.0 if self._on_battery else 230.0
        battery = f"{volts:04.1f}" if volts >= 10 else f"{volts:4.2f}"  # SS.S or S.SS
        return f"({mains:05.1f} {mains:05.1f} 230.0 014 50.0 {battery} 30.0 {bits}\r".encode()

    def _answer(self, line: str) -> bytes | None:
        if line == "Q1":
            return self._q1()
        if line == "F":
            return b"#230.0 004 12.00 50.0\r"
        if line == "I":
            return b"#REKAM EMULATED  UPS-1000   V1.0      \r"
        with self._lock:
            self._commands.append(line)
        return None

    def _serve(self) -> None:
        pending = b""
        while True:
            try:
                data = os.read(self._master, 1024)
            except OSError:
                return
            if not data:
                return
            pending += data
            while b"\r" in pending:
                raw, pending = pending.split(b"\r", 1)
                answer = self._answer(raw.decode("ascii", "replace").strip())
                if answer is not None:
                    try:
                        os.write(self._master, answer)
                    except OSError:
                        return


class MegatecUpsServer(DummyUpsServer):
    """A real ``upsd`` + ``nutdrv_qx`` driving an emulated Megatec UPS (:class:`MegatecLine`).

    The login given may run every instant command and set variables. ``off_delay_s``
    is the driver's ``offdelay`` (``ups.delay.shutdown``), the default delay of
    ``shutdown.return``.
    """

    def __init__(
        self,
        ups_name: str = "office",
        *,
        username: str,
        password: str,
        off_delay_s: int = 60,
        driver_path: str = "/lib/nut/nutdrv_qx",
        upsd_path: str = "/lib/nut/upsd",
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            ups_name,
            username=username,
            password=password,
            upsd_path=upsd_path,
            driver_path=driver_path,
            startup_timeout=startup_timeout,
        )
        self.off_delay_s = off_delay_s
        self.line = MegatecLine()
        nut = _nut_ids()
        if nut is not None:
            os.chown(self.line.device_path, nut[0], nut[1])

    def write_state(self, variables: Mapping[str, str]) -> None:
        """``ups.status`` and ``battery.charge`` go to the emulated UPS (the rest is ignored)."""
        charge = variables.get("battery.charge")
        self.line.set_state(variables.get("ups.status", "OL"), float(charge) if charge else None)

    def stop(self) -> None:
        super().stop()
        self.line.close()

    def _driver_section(self) -> str:
        return (
            "  driver = nutdrv_qx\n"
            f"  port = {self.line.device_path}\n"
            "  protocol = megatec\n"
            "  pollinterval = 1\n"
            "  pollfreq = 1\n"  # a full poll (battery voltage, so charge) every second
            f"  offdelay = {self.off_delay_s}\n"
            "  ondelay = 0\n"
            '  desc = "Rekam emulated Megatec UPS"\n'
        )
