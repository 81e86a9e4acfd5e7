"""The card side of the vpcd socket protocol: plug a card program into pcscd.

The vsmartcard ``vpcd`` reader driver, loaded by pcscd, listens on a TCP port
(one per slot). A virtual card *connects* to it; while the connection is up the
reader has a card. Messages both ways are framed by a two-byte big-endian
length. A one-byte message from vpcd is a control: 00 power off, 01 power on,
02 reset (no reply), 04 "send the ATR" (vpcd polls this to see the card is
still there). Anything longer is a command APDU, answered by a framed
response APDU. Removing the card is closing the connection.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from typing import Literal

from hardware.errors import DeviceUnavailable
from hardware.smartcard.cards import CardProgram
from hardware.smartcard.netns import connect_tcp

log = logging.getLogger(__name__)

CONTROL_POWER_OFF = 0x00
CONTROL_POWER_ON = 0x01
CONTROL_RESET = 0x02
CONTROL_GET_ATR = 0x04

CommandFault = Literal["disconnect", "stall"]


class _ConnectionClosed(DeviceUnavailable):
    """The peer (or our own remove()) closed the connection (ends the serving thread)."""

    def __init__(self, message: str = "the link between the virtual card and vpcd closed") -> None:
        super().__init__(message, device="smartcard")


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        try:
            chunk = sock.recv(size - len(chunks))
        except OSError as err:
            raise _ConnectionClosed from err
        if not chunk:
            raise _ConnectionClosed
        chunks += chunk
    return bytes(chunks)


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    try:
        sock.sendall(struct.pack(">H", len(payload)) + payload)
    except OSError as err:
        raise _ConnectionClosed from err


class VpcdCardSlot:
    """One vpcd slot seen from the card side; insert and remove card programs.

    ``netns_pid`` names a process (pcscd) whose network namespace holds the vpcd
    port; None connects in our own namespace. Test controls: :meth:`insert`,
    :meth:`remove`, :meth:`fail_next_command`.
    """

    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        netns_pid: int | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self._address = (host, port)
        self._netns_pid = netns_pid
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._card: CardProgram | None = None
        self._fault: CommandFault | None = None
        self._removed = threading.Event()

    @property
    def card(self) -> CardProgram | None:
        """The card program currently inserted, if any."""
        return self._card

    @property
    def connected(self) -> bool:
        """Whether the link to vpcd is up (False after vpcd or pcscd dropped it)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def insert(self, card: CardProgram) -> None:
        """Put ``card`` in the reader (a card already there is removed first)."""
        self.remove()
        host, port = self._address
        try:
            sock = connect_tcp(host, port, self._connect_timeout, self._netns_pid)
        except OSError as err:
            raise DeviceUnavailable(
                f"The virtual card reader (vpcd) does not accept a card on port {port}; "
                "is pcscd running with the vpcd driver?",
                device="smartcard",
            ) from err
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        removed = threading.Event()
        with self._lock:
            self._socket = sock
            self._card = card
            self._removed = removed
            self._fault = None
            self._thread = threading.Thread(
                target=self._serve, args=(sock, card, removed), name="vpcd-card", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        """Take the card out: close the link so vpcd reports the reader empty."""
        with self._lock:
            sock, thread = self._socket, self._thread
            self._socket = self._thread = self._card = None
            self._removed.set()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if thread is not None:
            thread.join(timeout=5.0)

    def fail_next_command(self, how: CommandFault) -> None:
        """Fault injection for the next command APDU.

        ``"disconnect"``: the card drops the link instead of answering (like a card
        pulled out mid-command). ``"stall"``: the card never answers until removed.
        """
        self._fault = how

    def close(self) -> None:
        self.remove()

    # The serving thread --------------------------------------------------------------
    def _serve(self, sock: socket.socket, card: CardProgram, removed: threading.Event) -> None:
        try:
            while True:
                (length,) = struct.unpack(">H", _receive_exactly(sock, 2))
                payload = _receive_exactly(sock, length)
                if length == 1:
                    self._control(sock, card, payload[0])
                elif length > 1 and not self._answer_command(sock, card, payload, removed):
                    return
        except _ConnectionClosed:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            if not removed.is_set():
                log.info("The link between the virtual card and vpcd closed")

    @staticmethod
    def _control(sock: socket.socket, card: CardProgram, control: int) -> None:
        if control == CONTROL_GET_ATR:
            _send_frame(sock, card.atr)
        elif control == CONTROL_POWER_ON:
            card.power_on()
        elif control == CONTROL_POWER_OFF:
            card.power_off()
        elif control == CONTROL_RESET:
            card.reset()
        else:
            log.warning("vpcd sent an unknown control byte 0x%02X; ignored", control)

    def _answer_command(
        self, sock: socket.socket, card: CardProgram, command: bytes, removed: threading.Event
    ) -> bool:
        fault, self._fault = self._fault, None
        if fault == "disconnect":
            return False
        if fault == "stall":
            removed.wait()
            return False
        _send_frame(sock, card.process(command))
        return True
