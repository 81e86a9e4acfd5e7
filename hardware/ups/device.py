"""The UPS device: an interface and the real backend that polls a NUT ``upsd``.

A backend must implement :meth:`Ups.read` (async, for the edge's one event loop);
:meth:`Ups.read_once` (blocking, for the self-test and the CLI) and
:meth:`Ups.self_test` are built on top of it. Backends may override :meth:`Ups.aclose`
and ``_close`` to release connections, and :meth:`Ups.list_commands`,
:meth:`Ups.instant_command` and :meth:`Ups.set_var` when the UPS takes commands (the
base class offers none and refuses them).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hardware.base import Device, SelfTestResult
from hardware.errors import DeviceError, PowerSourceError
from hardware.ups.client import NutClient
from hardware.ups.reading import UpsReading

T = TypeVar("T")


def run_blocking(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code.

    Uses ``asyncio.run`` in this thread, or in a helper thread when this thread
    already runs an event loop (so a synchronous caller inside the edge still works).
    """

    async def main() -> T:
        return await make_coroutine()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


class Ups(Device):
    """A UPS watched through NUT. ``ups_name`` is the UPS's name in upsd."""

    name = "ups"

    def __init__(self, ups_name: str) -> None:
        super().__init__()
        self.ups_name = ups_name

    @abstractmethod
    async def read(self) -> UpsReading:
        """Poll the UPS once. Raises DeviceUnavailable, DeviceTimeout, PowerSourceError
        (``NutServerError`` with the NUT code) or DeviceProtocolError."""

    @abstractmethod
    def read_once(self) -> UpsReading:
        """Blocking one-shot read over a fresh connection (self-test, CLI)."""

    async def aclose(self) -> None:
        """Close connections from inside the event loop, then the device."""
        self.close()

    async def list_commands(self) -> set[str]:
        """The instant commands the UPS offers (NUT's ``LIST CMD``); none by default."""
        return set()

    async def instant_command(self, command: str, value: str | None = None) -> None:
        """Make the UPS run ``command`` (NUT's ``INSTCMD``). Raises PowerSourceError
        (``NutServerError`` with NUT's code when upsd refuses it)."""
        raise PowerSourceError(f"this UPS backend takes no command ({command})", device=self.name)

    async def set_var(self, var: str, value: str) -> None:
        """Set a writable UPS variable (NUT's ``SET VAR``). Raises PowerSourceError."""
        raise PowerSourceError(f"this UPS backend cannot set {var}", device=self.name)

    def self_test(self) -> SelfTestResult:
        try:
            reading = self.read_once()
        except DeviceError as err:
            return SelfTestResult(self.name, False, f"{type(err).__name__}: {err}")
        if not reading.is_known:
            shown = reading.status_text or "nothing"
            return SelfTestResult(
                self.name, False, f"UPS {self.ups_name!r} reports no power source ({shown})"
            )
        parts = [f"UPS {self.ups_name!r} status {reading.status_text}"]
        if reading.charge is not None:
            parts.append(f"charge {reading.charge:g}%")
        if reading.runtime_s is not None:
            parts.append(f"runtime {reading.runtime_s} s")
        return SelfTestResult(self.name, True, ", ".join(parts))


class NutUps(Ups):
    """A real UPS served by ``upsd`` at ``host:port`` under the name ``ups_name``.

    :meth:`read` keeps one connection open between polls and reconnects after a
    failure; :meth:`read_once` opens and closes its own connection.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 3493,
        ups_name: str = "ups",
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(ups_name)
        self.host = host
        self.port = port
        self.timeout = timeout
        self._username = username
        self._password = password
        self._client = self.new_client()

    def new_client(self) -> NutClient:
        """A fresh protocol client for this upsd, with this device's login and timeout."""
        return NutClient(
            self.host,
            self.port,
            username=self._username,
            password=self._password,
            timeout=self.timeout,
        )

    async def read(self) -> UpsReading:
        return await self._client.read(self.ups_name)

    async def list_commands(self) -> set[str]:
        return await self._client.list_commands(self.ups_name)

    async def instant_command(self, command: str, value: str | None = None) -> None:
        await self._client.instant_command(self.ups_name, command, value)

    async def set_var(self, var: str, value: str) -> None:
        await self._client.set_var(self.ups_name, var, value)

    def read_once(self) -> UpsReading:
        async def one_read() -> UpsReading:
            async with self.new_client() as client:
                return await client.read(self.ups_name)

        return run_blocking(one_read)

    async def aclose(self) -> None:
        await self._client.aclose()
        self.close()

    def _close(self) -> None:
        self._client.close_now()
