"""The serial line under ``adafruit_fingerprint``, checked and bounded.

The library reads fixed-size replies and never checks a checksum; a short read makes
it raise a bare ``RuntimeError``. :class:`CheckedSerialLink` stands in for the
``serial.Serial`` the library is given: every read must deliver all the bytes asked
for within the timeout, every complete packet read must carry a start code, the
sensor's address and a correct checksum, and serial failures become typed errors.
It also remembers the confirmation code of the last acknowledgement, which the
library's template transfer calls do not return.
"""

from __future__ import annotations

import contextlib
import os
import struct
import termios
import time

import serial

from hardware.errors import DeviceProtocolError, DeviceTimeout, DeviceUnavailable
from hardware.fingerprint.protocol import HEADER_SIZE, START_CODE, PacketId, checksum

DEVICE = "fingerprint"


class CheckedSerialLink:
    """A pyserial port the Adafruit library can use (``read``, ``write``, ``close``)."""

    def __init__(self, port: serial.Serial, address: int) -> None:
        self._port = port
        self._address = address
        self._pending = bytearray()
        self.last_ack_code: int | None = None

    @classmethod
    def open(cls, path: str, baudrate: int, timeout: float, address: int) -> CheckedSerialLink:
        try:
            port = serial.Serial(
                path, baudrate=baudrate, timeout=timeout, write_timeout=timeout, exclusive=True
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise DeviceUnavailable(
                f"The fingerprint sensor is not connected: its port {path} cannot be opened "
                f"({_reason(err)}).",
                device=DEVICE,
            ) from err
        return cls(port, address)

    @property
    def timeout(self) -> float:
        return float(self._port.timeout or 0)

    def read(self, size: int) -> bytes:
        try:
            data = self._port.read(size)
        except (serial.SerialException, OSError) as err:
            raise DeviceUnavailable(
                f"The fingerprint sensor went away while answering ({_reason(err)}).",
                device=DEVICE,
            ) from err
        if not data:
            raise DeviceTimeout(
                f"The fingerprint sensor did not answer within {self.timeout:g} s.",
                device=DEVICE,
            )
        if len(data) < size:
            raise DeviceProtocolError(
                f"The fingerprint sensor sent a cut-off reply ({len(data)} of {size} bytes).",
                device=DEVICE,
            )
        self._check(data)
        return data

    def write(self, data: bytes | bytearray | list[int]) -> int:
        try:
            return self._port.write(bytes(data)) or 0
        except serial.SerialTimeoutException as err:
            raise DeviceTimeout(
                "The fingerprint sensor's port did not take the command in time.", device=DEVICE
            ) from err
        except (serial.SerialException, OSError) as err:
            raise DeviceUnavailable(
                f"The fingerprint sensor went away while being sent a command ({_reason(err)}).",
                device=DEVICE,
            ) from err

    def discard_input(self) -> None:
        """Forget late or partial replies before a new command."""
        self._pending.clear()
        self.last_ack_code = None
        try:
            self._port.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as err:
            raise DeviceUnavailable(
                f"The fingerprint sensor went away: its port fails ({_reason(err)}).", device=DEVICE
            ) from err

    def drain(self, quiet_seconds: float = 0.05, limit_seconds: float = 1.0) -> None:
        """Read and drop whatever the sensor still sends until the line is quiet."""
        deadline = time.monotonic() + limit_seconds
        try:
            while time.monotonic() < deadline:
                time.sleep(quiet_seconds)
                waiting = self._port.in_waiting
                if not waiting:
                    break
                self._port.read(waiting)
        except (serial.SerialException, OSError, termios.error) as err:
            raise DeviceUnavailable(
                f"The fingerprint sensor went away: its port fails ({_reason(err)}).", device=DEVICE
            ) from err
        self.discard_input()

    def close(self) -> None:
        # closing a port whose device vanished: nothing is left to release
        with contextlib.suppress(serial.SerialException, OSError, termios.error):
            self._port.close()

    def _check(self, data: bytes) -> None:
        """Check every packet completed by ``data`` (the library reads whole packets)."""
        self._pending += data
        while len(self._pending) >= HEADER_SIZE:
            if self._pending[:2] != START_CODE:
                self._pending.clear()
                raise DeviceProtocolError(
                    "The fingerprint sensor sent a reply without a packet start code.",
                    device=DEVICE,
                )
            address, packet_id, length = struct.unpack(">IBH", self._pending[2:HEADER_SIZE])
            if address != self._address:
                self._pending.clear()
                raise DeviceProtocolError(
                    "A reply came from a sensor with another address.", device=DEVICE
                )
            if length < 2:
                self._pending.clear()
                raise DeviceProtocolError(
                    "The fingerprint sensor sent a reply with an impossible length.", device=DEVICE
                )
            total = HEADER_SIZE + length
            if len(self._pending) < total:
                return
            payload = bytes(self._pending[HEADER_SIZE : total - 2])
            (received,) = struct.unpack(">H", self._pending[total - 2 : total])
            del self._pending[:total]
            if received != checksum(packet_id, payload):
                self._pending.clear()
                raise DeviceProtocolError(
                    "The fingerprint sensor sent a reply with a bad checksum.", device=DEVICE
                )
            if packet_id == PacketId.ACK and payload:
                self.last_ack_code = payload[0]


def _reason(err: BaseException) -> str:
    """The short cause of a serial failure ("No such file or directory")."""
    code = getattr(err, "errno", None)
    if code is None and len(err.args) == 2 and isinstance(err.args[0], int):
        code = err.args[0]  # termios.error carries (errno, text)
    if isinstance(code, int) and code > 0:
        return os.strerror(code)
    text = str(err).strip()
    return text or type(err).__name__
