"""The reader side of Rekam's card applications, over any ``transmit`` function.

Builds the command APDUs (SELECT, VERIFY, READ BINARY, INTERNAL AUTHENTICATE)
and turns status words into typed errors with plain messages. It knows nothing
of PC/SC: ``PcscSmartCardReader`` hands it ``PcscLink.transmit``.
"""

from __future__ import annotations

from collections.abc import Callable

from hardware.errors import CardError, PinBlocked, PinError
from hardware.smartcard.apdu import CommandApdu, StatusWord, split_response, tries_left_from_status
from hardware.smartcard.cards import (
    INS_INTERNAL_AUTHENTICATE,
    INS_READ_BINARY,
    INS_SELECT,
    INS_VERIFY,
    PIN_REFERENCE,
    encode_pin_block,
)

DEVICE = "smartcard"
READ_CHUNK = 256  # short READ BINARY (Le = 00)
MAX_FILE_SIZE = 0x8000  # READ BINARY offsets are 15 bits

Transmit = Callable[[bytes, str], bytes]

_STATUS_MEANING = {
    StatusWord.SECURITY_STATUS_NOT_SATISFIED: "the card needs the PIN first",
    StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED: "the card is not ready for that command",
    StatusWord.FILE_NOT_FOUND: "the card does not hold that application or file",
    StatusWord.INS_NOT_SUPPORTED: "the card does not know that command",
    StatusWord.CLA_NOT_SUPPORTED: "the card does not accept that command class",
    StatusWord.WRONG_LENGTH: "the card rejected the command's length",
    StatusWord.INCORRECT_P1_P2: "the card rejected the command's parameters",
}


class CardApplicationClient:
    """Talks to one application (by AID) on the card behind ``transmit``."""

    def __init__(self, transmit: Transmit, aid: bytes, card_kind: str) -> None:
        self._transmit = transmit
        self._aid = aid
        self._card_kind = card_kind

    def _exchange(self, command: CommandApdu, action: str) -> tuple[bytes, int]:
        raw = self._transmit(command.to_bytes(), action)
        if not raw:  # vpcd reports a card that dropped the link as an empty answer
            raise CardError(
                f"The card stopped answering while {action}; take it out and insert it again.",
                device=DEVICE,
            )
        try:
            return split_response(raw)
        except ValueError as err:
            raise CardError(
                f"The card gave a malformed answer while {action}.", device=DEVICE
            ) from err

    def _expect_ok(self, command: CommandApdu, action: str) -> bytes:
        data, status = self._exchange(command, action)
        if status != StatusWord.OK:
            raise self._status_error(status, action)
        return data

    def _status_error(self, status: int, action: str) -> CardError:
        meaning = _STATUS_MEANING.get(status, "the card refused the command")  # type: ignore[call-overload]
        return CardError(f"Failed {action}: {meaning} (status {status:04X}).", device=DEVICE)

    def select(self) -> None:
        """SELECT the application; CardError "not an operator card" etc. if it is absent."""
        command = CommandApdu(0x00, INS_SELECT, 0x04, 0x00, self._aid)
        _, status = self._exchange(command, f"selecting the {self._card_kind} application")
        if status == StatusWord.FILE_NOT_FOUND:
            raise CardError(
                f"This is not a Rekam {self._card_kind} card (it has no such application).",
                device=DEVICE,
            )
        if status != StatusWord.OK:
            raise self._status_error(status, f"selecting the {self._card_kind} application")

    def read_file(self, file_id: int, what: str) -> bytes:
        """SELECT the elementary file, then READ BINARY it in chunks until it ends."""
        action = f"reading the {what}"
        self._expect_ok(
            CommandApdu(0x00, INS_SELECT, 0x02, 0x0C, file_id.to_bytes(2, "big")), action
        )
        return self._read_selected(action)

    def read_file_if_present(self, file_id: int, what: str) -> bytes | None:
        """Like :meth:`read_file`, but None when the card has no such file."""
        action = f"reading the {what}"
        select = CommandApdu(0x00, INS_SELECT, 0x02, 0x0C, file_id.to_bytes(2, "big"))
        _, status = self._exchange(select, action)
        if status == StatusWord.FILE_NOT_FOUND:
            return None
        if status != StatusWord.OK:
            raise self._status_error(status, action)
        return self._read_selected(action)

    def _read_selected(self, action: str) -> bytes:
        content = bytearray()
        while len(content) < MAX_FILE_SIZE:
            offset = len(content)
            chunk = self._expect_ok(
                CommandApdu(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=READ_CHUNK),
                action,
            )
            content += chunk
            if len(chunk) < READ_CHUNK:
                break
        return bytes(content)

    def verify_pin(self, pin: str) -> None:
        """VERIFY the PIN: PinError(tries_left) when wrong, PinBlocked when blocked."""
        block = encode_pin_block(pin)
        _, status = self._exchange(
            CommandApdu(0x00, INS_VERIFY, 0x00, PIN_REFERENCE, block), "checking the PIN"
        )
        if status == StatusWord.OK:
            return
        tries_left = tries_left_from_status(status)
        if status == StatusWord.AUTHENTICATION_METHOD_BLOCKED or tries_left == 0:
            raise PinBlocked("The card's PIN is blocked after too many wrong tries.", device=DEVICE)
        if tries_left is not None:
            raise PinError(
                f"Wrong PIN; {tries_left} tries left before the card blocks.",
                tries_left=tries_left,
                device=DEVICE,
            )
        raise self._status_error(status, "checking the PIN")

    def pin_tries_left(self) -> int:
        """Tries left (VERIFY without data); 0 when blocked, -1 when already verified."""
        _, status = self._exchange(
            CommandApdu(0x00, INS_VERIFY, 0x00, PIN_REFERENCE), "asking the PIN status"
        )
        if status == StatusWord.OK:
            return -1
        if status == StatusWord.AUTHENTICATION_METHOD_BLOCKED:
            return 0
        tries_left = tries_left_from_status(status)
        if tries_left is None:
            raise self._status_error(status, "asking the PIN status")
        return tries_left

    def internal_authenticate(self, challenge: bytes) -> bytes:
        """INTERNAL AUTHENTICATE: the card's signature of ``challenge`` (1-255 bytes)."""
        if not 1 <= len(challenge) <= 255:
            raise ValueError("a challenge has 1 to 255 bytes")
        return self._expect_ok(
            CommandApdu(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, challenge, le=256),
            "signing the challenge",
        )
