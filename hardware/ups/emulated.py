"""The emulated UPS: a real ``upsd`` + ``dummy-ups`` that the test scripts.

It is a :class:`~hardware.ups.device.NutUps` talking to its own private upsd, so the
same NUT client code runs as in production. Test controls: :meth:`set_ups_status`,
:meth:`stop_server` / :meth:`start_server` (upsd unreachable and back) and
:meth:`wait_for_status`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Mapping

from hardware.errors import DeviceError, DeviceTimeout
from hardware.ups.device import NutUps
from hardware.ups.dummy_server import DummyUpsServer
from hardware.ups.protocol import DEVICE
from hardware.ups.reading import UpsReading


def _status_words(status: str | Iterable[str]) -> frozenset[str]:
    words = status.split() if isinstance(status, str) else list(status)
    return frozenset(words)


class EmulatedUps(NutUps):
    """A UPS served by a private upsd on a free loopback port; closes it on ``close()``."""

    def __init__(
        self,
        ups_name: str = "dummy",
        *,
        initial_status: str = "OL",
        initial_charge: float = 100.0,
        initial_runtime: int = 1800,
        timeout: float = 5.0,
        startup_timeout: float = 20.0,
        upsd_path: str = "/lib/nut/upsd",
        driver_path: str = "/lib/nut/dummy-ups",
    ) -> None:
        username = "rekam-monitor"
        password = secrets.token_hex(12)
        self._variables: dict[str, str] = {
            "ups.status": initial_status,
            "battery.charge": f"{initial_charge:g}",
            "battery.runtime": str(int(initial_runtime)),
        }
        self.server = DummyUpsServer(
            ups_name,
            username=username,
            password=password,
            upsd_path=upsd_path,
            driver_path=driver_path,
            startup_timeout=startup_timeout,
        )
        try:
            self.server.start(self._variables)
        except BaseException:
            self.server.stop()
            raise
        super().__init__(
            self.server.host,
            self.server.port,
            ups_name,
            username=username,
            password=password,
            timeout=timeout,
        )

    # -- test controls ------------------------------------------------------------------

    def set_ups_status(
        self,
        status: str = "OL",
        *,
        charge: float | None = None,
        runtime: int | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Make the UPS report ``status`` (e.g. ``"OB LB"``); ``charge`` (percent) and
        ``runtime`` (seconds) keep their last values when not given. upsd sees the
        change within about a second (``pollinterval = 1``), so a state held for less
        than that may never be seen: use :meth:`wait_for_status` to wait for it."""
        self._variables["ups.status"] = status
        if charge is not None:
            self._variables["battery.charge"] = f"{charge:g}"
        if runtime is not None:
            self._variables["battery.runtime"] = str(int(runtime))
        self._variables.update(extra or {})
        self.server.write_state(self._variables)

    def stop_server(self) -> None:
        """Stop upsd: reads now raise DeviceUnavailable (the driver keeps running)."""
        self.server.stop_upsd()

    def start_server(self) -> None:
        """Start upsd again on the same port; returns once it serves the UPS."""
        self.server.start_upsd()

    def wait_for_status(self, expected: str | Iterable[str], timeout: float = 10.0) -> UpsReading:
        """Poll until the UPS reports exactly the ``expected`` status words; return that
        reading. Raises DeviceTimeout (naming the last status seen) after ``timeout``."""
        wanted = _status_words(expected)
        deadline = time.monotonic() + timeout
        last = "nothing"
        while True:
            try:
                reading = self.read_once()
                if reading.status == wanted:
                    return reading
                last = repr(reading.status_text)
            except DeviceError as err:
                last = type(err).__name__
            if time.monotonic() > deadline:
                raise DeviceTimeout(
                    f"UPS did not report {' '.join(sorted(wanted))!r} within {timeout:g} s "
                    f"(last: {last})",
                    device=DEVICE,
                )
            time.sleep(0.1)

    async def wait_for_status_async(
        self, expected: str | Iterable[str], timeout: float = 10.0
    ) -> UpsReading:
        """:meth:`wait_for_status` for code running in an event loop."""
        return await asyncio.to_thread(self.wait_for_status, expected, timeout)

    def _close(self) -> None:
        super()._close()
        self.server.stop()
