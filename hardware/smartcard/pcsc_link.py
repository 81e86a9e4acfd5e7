"""A thin, bounded layer over pyscard's PC/SC calls for one reader.

Every call goes through :func:`call_with_timeout`, and every PC/SC error code
becomes a typed device error with a plain English message
(:func:`pcsc_error`). Card data and PINs never appear in a message.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from smartcard import scard

from hardware.errors import CardError, DeviceError, DeviceTimeout, DeviceUnavailable
from hardware.smartcard.bounded import call_with_timeout

DEVICE = "smartcard"
T = TypeVar("T")
# Extra time allowed for the thread around a PC/SC call that has its own timeout.
GRACE_SECONDS = 5.0

_UNAVAILABLE = {
    scard.SCARD_E_NO_SERVICE: "The smart-card service (pcscd) is not running.",
    scard.SCARD_E_SERVICE_STOPPED: "The smart-card service (pcscd) stopped.",
    scard.SCARD_E_NO_READERS_AVAILABLE: "No smart-card reader is connected.",
    scard.SCARD_E_UNKNOWN_READER: "The smart-card reader is no longer connected.",
    scard.SCARD_E_READER_UNAVAILABLE: "The smart-card reader is not available.",
    scard.SCARD_E_INVALID_HANDLE: "The connection to the smart-card service was lost.",
    scard.SCARD_E_INVALID_PARAMETER: "The smart-card service refused the request.",
}
_CARD = {
    scard.SCARD_E_NO_SMARTCARD: "There is no card in the reader.",
    scard.SCARD_W_REMOVED_CARD: "The card was removed.",
    scard.SCARD_W_RESET_CARD: "The card was reset by another program.",
    scard.SCARD_W_UNRESPONSIVE_CARD: "The card does not respond.",
    scard.SCARD_W_UNPOWERED_CARD: "The card is not powered.",
    scard.SCARD_W_UNSUPPORTED_CARD: "This card is not supported by the reader.",
    scard.SCARD_E_NOT_TRANSACTED: "The card stopped answering in the middle of a command.",
    scard.SCARD_E_PROTO_MISMATCH: "The card does not speak a protocol the reader offers.",
    scard.SCARD_E_SHARING_VIOLATION: "Another program is using the card.",
}


def pcsc_error(hresult: int, action: str) -> DeviceError:
    """The typed error for a failed PC/SC call made while ``action`` ("reading the card")."""
    code = hresult & 0xFFFFFFFF
    detail = f"(while {action}; PC/SC code 0x{code:08X})"
    if hresult == scard.SCARD_E_TIMEOUT:
        return DeviceTimeout(f"The card reader timed out {detail}.", device=DEVICE)
    if hresult in _UNAVAILABLE:
        return DeviceUnavailable(f"{_UNAVAILABLE[hresult]} {detail}", device=DEVICE)
    if hresult in _CARD:
        return CardError(f"{_CARD[hresult]} {detail}", device=DEVICE)
    return CardError(f"The card reader reported an error {detail}.", device=DEVICE)


@dataclass(frozen=True)
class ReaderState:
    """What pcscd says about the reader: whether a card is in it, and its ATR."""

    reader: str
    present: bool
    atr: bytes
    event_state: int


class PcscLink:
    """One PC/SC context and at most one card connection, for a reader picked by name.

    ``reader_name_contains`` picks the first reader whose name contains it ("" =
    the first reader). Calls are serialised; a call that times out abandons the
    context (a new one is made for the next call).
    """

    def __init__(self, reader_name_contains: str, timeout: float) -> None:
        self.reader_name_contains = reader_name_contains
        self.timeout = timeout
        self._lock = threading.RLock()
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = 0
        self._reader: str | None = None

    # Context and reader ----------------------------------------------------------------
    def _bounded(self, call: Callable[[], T], timeout: float, what: str) -> T:
        try:
            return call_with_timeout(call, timeout, what=what)
        except DeviceTimeout:
            self._context = self._card = None  # abandoned with the stuck call
            raise

    def _ensure_context(self) -> int:
        if self._context is None:
            hresult, context = self._bounded(
                lambda: scard.SCardEstablishContext(scard.SCARD_SCOPE_USER),
                self.timeout,
                "connecting to the smart-card service",
            )
            if hresult != scard.SCARD_S_SUCCESS:
                raise pcsc_error(hresult, "connecting to the smart-card service")
            self._context = context
        return self._context

    def _drop_context(self) -> None:
        context, self._context, self._card = self._context, None, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def readers(self) -> list[str]:
        """The names of all readers pcscd knows."""
        with self._lock:
            context = self._ensure_context()
            hresult, readers = self._bounded(
                lambda: scard.SCardListReaders(context, []), self.timeout, "listing readers"
            )
            if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
                return []
            if hresult != scard.SCARD_S_SUCCESS:
                self._drop_context()
                raise pcsc_error(hresult, "listing readers")
            return list(readers)

    def reader_name(self) -> str:
        """The full name of the configured reader; DeviceUnavailable if none matches."""
        for name in self.readers():
            if self.reader_name_contains in name:
                self._reader = name
                return name
        wanted = self.reader_name_contains or "any name"
        raise DeviceUnavailable(
            f"No smart-card reader matching {wanted!r} is connected.", device=DEVICE
        )

    def reader_state(self, wait_seconds: float = 0.0, known_state: int = 0) -> ReaderState:
        """The reader's state now, or after it changes from ``known_state`` (within the wait)."""
        with self._lock:
            reader = self._reader or self.reader_name()
            context = self._ensure_context()
            wait_ms = max(0, int(wait_seconds * 1000))
            state_in = known_state or scard.SCARD_STATE_UNAWARE
            hresult, states = self._bounded(
                lambda: scard.SCardGetStatusChange(context, wait_ms, [(reader, state_in)]),
                wait_seconds + GRACE_SECONDS,
                "checking the card reader",
            )
            if hresult == scard.SCARD_E_TIMEOUT:
                was_present = bool(state_in & scard.SCARD_STATE_PRESENT)
                return ReaderState(reader, was_present, b"", state_in)
            if hresult != scard.SCARD_S_SUCCESS:
                self._reader = None
                if hresult in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED):
                    self._drop_context()
                raise pcsc_error(hresult, "checking the card reader")
            _, event_state, atr = states[0]
            present = bool(event_state & scard.SCARD_STATE_PRESENT)
            known = event_state & ~scard.SCARD_STATE_CHANGED
            return ReaderState(reader, present, bytes(atr), known)

    # Card connection ---------------------------------------------------------------------
    def fresh_connection(self) -> None:
        """Make sure a live connection to the card in the reader exists (start of an operation)."""
        with self._lock:
            if self._card is not None:
                card = self._card
                hresult = self._bounded(
                    lambda: scard.SCardStatus(card), self.timeout, "checking the card"
                )[0]
                if hresult == scard.SCARD_S_SUCCESS:
                    return
                self.disconnect(reset=False)
            reader = self._reader or self.reader_name()
            context = self._ensure_context()
            hresult, card, protocol = self._bounded(
                lambda: scard.SCardConnect(
                    context,
                    reader,
                    scard.SCARD_SHARE_SHARED,
                    scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                ),
                self.timeout,
                "connecting to the card",
            )
            if hresult != scard.SCARD_S_SUCCESS:
                raise pcsc_error(hresult, "connecting to the card")
            self._card, self._protocol = card, protocol

    def transmit(self, command: bytes, action: str) -> bytes:
        """Send one command APDU on the current connection; return the response APDU."""
        with self._lock:
            if self._card is None:
                self.fresh_connection()
            card, protocol = self._card, self._protocol
            hresult, answer = self._bounded(
                lambda: scard.SCardTransmit(card, protocol, list(command)), self.timeout, action
            )
            if hresult != scard.SCARD_S_SUCCESS:
                self.disconnect(reset=False)
                raise pcsc_error(hresult, action)
            return bytes(answer)

    def disconnect(self, *, reset: bool) -> None:
        """Close the card connection; ``reset`` also clears the card's PIN state."""
        with self._lock:
            card, self._card = self._card, None
            if card is not None:
                disposition = scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD
                with contextlib.suppress(DeviceTimeout):
                    self._bounded(
                        lambda: scard.SCardDisconnect(card, disposition),
                        self.timeout,
                        "disconnecting from the card",
                    )

    def close(self) -> None:
        with self._lock:
            self.disconnect(reset=True)
            self._drop_context()
