"""An asyncio client of the NUT network protocol (upsd, TCP port 3493).

One :class:`NutClient` keeps one connection and reconnects on the next call after any
failure. Every call runs under ``asyncio.wait_for``. Errors: connection refused or
closed → DeviceUnavailable; no answer in time → DeviceTimeout; ``ERR <CODE>`` →
:class:`~hardware.ups.protocol.NutServerError` (a PowerSourceError with ``.code``);
a malformed line → DeviceProtocolError. The password never appears in an error.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from hardware.errors import DeviceError, DeviceProtocolError, DeviceTimeout, DeviceUnavailable
from hardware.ups.protocol import (
    DEVICE,
    MAX_LINE_BYTES,
    NutServerError,
    check_ok,
    decode_line,
    parse_cmd_line,
    parse_ups_line,
    parse_var_line,
    quote,
    raise_if_error,
)
from hardware.ups.reading import UpsReading


class NutClient:
    """A connection to one upsd. Use inside one event loop; ``async with`` closes it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 3493,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._username = username
        self._password = password
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def where(self) -> str:
        return f"upsd at {self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- public calls -------------------------------------------------------------------

    async def list_ups(self) -> dict[str, str]:
        """``LIST UPS``: every UPS upsd serves, name → description."""
        lines = await self._request("LIST UPS", list_of="UPS")
        return dict(parse_ups_line(line) for line in lines)

    async def list_vars(self, ups: str) -> dict[str, str]:
        """``LIST VAR <ups>``: every variable of one UPS, name → value."""
        lines = await self._request(f"LIST VAR {quote(ups)}", list_of=f"VAR {ups}")
        variables: dict[str, str] = {}
        for line in lines:
            name_of_ups, name, value = parse_var_line(line)
            if name_of_ups != ups:
                raise DeviceProtocolError("upsd answered for another UPS", device=DEVICE)
            variables[name] = value
        return variables

    async def get_var(self, ups: str, var: str) -> str:
        """``GET VAR <ups> <var>``: one variable's value."""
        (line,) = await self._request(f"GET VAR {quote(ups)} {quote(var)}")
        name_of_ups, name, value = parse_var_line(line)
        if name_of_ups != ups or name != var:
            raise DeviceProtocolError("upsd answered for another variable", device=DEVICE)
        return value

    async def list_commands(self, ups: str) -> set[str]:
        """``LIST CMD <ups>``: the instant commands the UPS's driver offers."""
        lines = await self._request(f"LIST CMD {quote(ups)}", list_of=f"CMD {ups}")
        commands = set()
        for line in lines:
            name_of_ups, command = parse_cmd_line(line)
            if name_of_ups != ups:
                raise DeviceProtocolError("upsd answered for another UPS", device=DEVICE)
            commands.add(command)
        return commands

    async def instant_command(self, ups: str, command: str, value: str | None = None) -> None:
        """``INSTCMD <ups> <command> [<value>]`` (upsmon's way to make the UPS act).

        upsd wants a login first (``USERNAME``/``PASSWORD`` of an ``upsd.users`` entry
        with ``instcmds`` for this command): without one it answers ``ERR
        USERNAME-REQUIRED``/``ACCESS-DENIED``, raised as :class:`NutServerError`.
        """
        words = ["INSTCMD", quote(ups), quote(command)]
        if value is not None:
            words.append(quote(value))
        (line,) = await self._request(" ".join(words))
        check_ok(line)

    async def set_var(self, ups: str, var: str, value: str) -> None:
        """``SET VAR <ups> <var> <value>`` (needs a login with ``actions = SET``)."""
        (line,) = await self._request(f"SET VAR {quote(ups)} {quote(var)} {quote(value)}")
        check_ok(line)

    async def read(self, ups: str) -> UpsReading:
        """Read status, charge and runtime of ``ups`` in one ``LIST VAR``."""
        return UpsReading.from_variables(ups, await self.list_vars(ups))

    async def aclose(self) -> None:
        """Say goodbye and close the connection (safe to call any time)."""
        writer = self._writer
        self._forget_connection()
        if writer is None:
            return
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            writer.write(b"LOGOUT\n")
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), timeout=1.0)

    def close_now(self) -> None:
        """Drop the connection without awaiting (for synchronous ``close()``)."""
        writer = self._writer
        self._forget_connection()
        if writer is not None:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()

    # -- plumbing -----------------------------------------------------------------------

    async def _request(self, command: str, *, list_of: str | None = None) -> list[str]:
        """Send one command and return its answer lines (the list body for LIST).

        A kept connection that upsd dropped since the last call (upsd restarted) is
        retried once on a fresh connection before the call fails.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self.close_now()
            self._loop = loop
            self._lock = asyncio.Lock()
        assert self._lock is not None
        async with self._lock:
            reused = self._writer is not None
            try:
                return await self._bounded_exchange(command, list_of)
            except DeviceUnavailable:
                if not reused:
                    raise
            return await self._bounded_exchange(command, list_of)

    async def _bounded_exchange(self, command: str, list_of: str | None) -> list[str]:
        try:
            return await asyncio.wait_for(self._exchange(command, list_of), self.timeout)
        except NutServerError:
            raise
        except DeviceError:
            self.close_now()
            raise
        except TimeoutError as err:
            self.close_now()
            raise DeviceTimeout(
                f"{self.where} did not answer within {self.timeout:g} s", device=DEVICE
            ) from err
        except (OSError, EOFError, asyncio.IncompleteReadError) as err:
            self.close_now()
            raise DeviceUnavailable(f"{self.where} is unreachable: {err}", device=DEVICE) from err

    async def _exchange(self, command: str, list_of: str | None) -> list[str]:
        if self._writer is None:
            await self._connect()
        await self._send(command)
        first = await self._read_line()
        raise_if_error(first)
        if list_of is None:
            return [first]
        if first != f"BEGIN LIST {list_of}":
            raise DeviceProtocolError("upsd did not begin the list it was asked for", device=DEVICE)
        body: list[str] = []
        while (line := await self._read_line()) != f"END LIST {list_of}":
            raise_if_error(line)
            body.append(line)
        return body

    async def _connect(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=MAX_LINE_BYTES)
        self._reader, self._writer = reader, writer
        try:
            if self._username is not None:
                await self._send(f"USERNAME {quote(self._username)}")
                raise_if_error(await self._read_line())
            if self._password is not None:
                await self._send(f"PASSWORD {quote(self._password)}")
                raise_if_error(await self._read_line())
        except NutServerError:
            self.close_now()
            raise

    async def _send(self, command: str) -> None:
        assert self._writer is not None
        self._writer.write(command.encode("utf-8") + b"\n")
        await self._writer.drain()

    async def _read_line(self) -> str:
        assert self._reader is not None
        try:
            raw = await self._reader.readline()
        except ValueError as err:  # the line is longer than the stream's limit
            raise DeviceProtocolError("upsd sent an overlong line", device=DEVICE) from err
        if not raw:
            raise DeviceUnavailable(f"{self.where} closed the connection", device=DEVICE)
        return decode_line(raw)

    def _forget_connection(self) -> None:
        self._reader = None
        self._writer = None
