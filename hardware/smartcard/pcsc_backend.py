"""The real backend: a PC/SC reader through pcscd, driven by pyscard."""

from __future__ import annotations

import hashlib
import time

from hardware.base import SelfTestResult
from hardware.errors import CardError, DeviceError, DeviceTimeout
from hardware.smartcard.card_client import CardApplicationClient
from hardware.smartcard.card_events import CardEventWatcher
from hardware.smartcard.cards import (
    EF_NIK,
    EF_RESIDENT_NAME,
    EF_TEMPLATE_1,
    EF_TEMPLATE_2,
    RESIDENT_AID,
)
from hardware.smartcard.pcsc_link import DEVICE, PcscLink
from hardware.smartcard.piv_client import PivClient
from hardware.smartcard.reader import (
    CardInfo,
    CardObserver,
    ResidentCard,
    SmartCardReader,
)

# Longest single wait on pcscd; longer waits loop so close() is never stuck long.
WAIT_SLICE_SECONDS = 1.0


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CardError(f"The card's {what} is not valid text.", device=DEVICE) from err


class PcscSmartCardReader(SmartCardReader):
    """A reader picked by a substring of its PC/SC name; every call bounded by ``timeout``."""

    def __init__(self, reader_name_contains: str = "", timeout: float = 10.0) -> None:
        super().__init__()
        self.timeout = timeout
        self._link = PcscLink(reader_name_contains, timeout)
        self._watcher = CardEventWatcher(reader_name_contains)
        self._operator = PivClient(self._link.transmit)
        self._resident = CardApplicationClient(self._link.transmit, RESIDENT_AID, "resident e-KTP")

    # Presence --------------------------------------------------------------------------
    def _wait_for_presence(self, want_present: bool, timeout: float) -> CardInfo:
        deadline = time.monotonic() + timeout
        state = self._link.reader_state()
        while state.present != want_present:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                what = "inserted" if want_present else "removed"
                raise DeviceTimeout(
                    f"No card was {what} within {timeout:g} seconds.", device=DEVICE
                )
            state = self._link.reader_state(min(remaining, WAIT_SLICE_SECONDS), state.event_state)
        if want_present and not state.atr:
            state = self._link.reader_state()
        return CardInfo(atr_hex=state.atr.hex().upper(), reader=state.reader)

    def wait_for_card(self, timeout: float) -> CardInfo:
        return self._wait_for_presence(True, timeout)

    def wait_for_removal(self, timeout: float) -> None:
        self._wait_for_presence(False, timeout)
        self._link.disconnect(reset=False)

    def card_present(self) -> bool:
        return self._link.reader_state().present

    def add_card_observer(self, callback: CardObserver) -> None:
        self._watcher.add(callback)

    def remove_card_observer(self, callback: CardObserver) -> None:
        self._watcher.remove(callback)

    # Operator card (PIV) ---------------------------------------------------------------
    def piv(self) -> PivClient:
        """The PIV application of the card in the reader, selected on the current
        connection (kept, so a verified PIN keeps counting until :meth:`logout`)."""
        self._link.fresh_connection()
        self._operator.select()
        return self._operator

    def verify_pin(self, pin: str) -> None:
        self.piv().verify_pin(pin)

    def pin_tries_left(self) -> int:
        return self.piv().pin_tries_left()

    def sign_challenge(self, challenge: bytes) -> bytes:
        if not 1 <= len(challenge) <= 255:
            raise ValueError("a challenge has 1 to 255 bytes")
        return self.piv().sign(hashlib.sha256(challenge).digest())

    def read_operator_certificate(self) -> bytes | None:
        return self.piv().certificate()

    def logout(self) -> None:
        self._link.disconnect(reset=True)

    # Resident card ---------------------------------------------------------------------
    def read_resident_card(self) -> ResidentCard:
        self._link.fresh_connection()
        card = self._resident
        card.select()
        nik = _text(card.read_file(EF_NIK, "NIK"), "NIK")
        name = _text(card.read_file(EF_RESIDENT_NAME, "name"), "name")
        first = card.read_file(EF_TEMPLATE_1, "first fingerprint template")
        second = card.read_file(EF_TEMPLATE_2, "second fingerprint template")
        return ResidentCard(nik=nik, name=name, templates=(first, second))

    # Device ----------------------------------------------------------------------------
    def transmit_raw(self, command: bytes) -> tuple[bytes, int]:
        """Send any command APDU; return (data, status word). For diagnostics and tests."""
        self._link.fresh_connection()
        answer = self._link.transmit(command, "sending a command")
        if len(answer) < 2:
            raise CardError("The card gave no status word.", device=DEVICE)
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def self_test(self) -> SelfTestResult:
        try:
            reader = self._link.reader_name()
            present = self._link.reader_state().present
        except DeviceError as err:
            return SelfTestResult(self.name, False, str(err))
        card = "a card is inserted" if present else "no card inserted"
        return SelfTestResult(self.name, True, f"pcscd answers; reader {reader!r}; {card}")

    def _close(self) -> None:
        self._watcher.stop()
        self._link.close()
