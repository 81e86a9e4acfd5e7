"""The reader side of a card application of small files (the resident's e-KTP), over
any ``transmit`` function.

Builds the command APDUs (SELECT, READ BINARY) and turns status words into typed
errors with plain messages. (Operator cards are PIV cards: ``piv_client``.) It knows nothing
of PC/SC: ``PcscSmartCardReader`` hands it ``PcscLink.transmit``.

Files are read without reading past their end (ISO 7816-4): SELECT asks for the
file control parameters and, when the card gives the file's size, READ BINARY asks
for exactly what is left. A card that gives no size is read in chunks until it
answers 6282 (the last bytes), 6B00 (the end, reached at a chunk boundary) or a
short chunk; 6Cxx (wrong Le) is asked again with the length the card names.
"""

from __future__ import annotations

from hardware.errors import CardError
from hardware.smartcard.apdu import WRONG_LE_SW1, CommandApdu, StatusWord
from hardware.smartcard.apdu_client import DEVICE, ApduClient, Transmit
from hardware.smartcard.cards import (
    FCP_FILE_SIZE,
    FCP_TEMPLATE,
    INS_READ_BINARY,
    INS_SELECT,
    SELECT_RETURN_FCP,
)

READ_CHUNK = 256  # short READ BINARY (Le = 00)
MAX_FILE_SIZE = 0x8000  # READ BINARY offsets are 15 bits

_STATUS_MEANING: dict[int, str] = {
    StatusWord.SECURITY_STATUS_NOT_SATISFIED: "the card needs the PIN first",
    StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED: "the card is not ready for that command",
    StatusWord.FILE_NOT_FOUND: "the card does not hold that application or file",
    StatusWord.INS_NOT_SUPPORTED: "the card does not know that command",
    StatusWord.CLA_NOT_SUPPORTED: "the card does not accept that command class",
    StatusWord.WRONG_LENGTH: "the card rejected the command's length",
    StatusWord.INCORRECT_P1_P2: "the card rejected the command's parameters",
    StatusWord.WRONG_P1_P2: "the file ended before the size the card gave for it",
}
_NO_FCP = (StatusWord.INCORRECT_P1_P2, 0x6A81)  # P2 04 refused, or "function not supported"


def file_size_from_fcp(fcp: bytes) -> int | None:
    """The data size (tag 80) in an FCP template (tag 62), or None when it is not there."""
    if len(fcp) < 2 or fcp[0] != FCP_TEMPLATE:
        return None
    body, position = fcp[2 : 2 + fcp[1]], 0
    while position + 2 <= len(body):
        tag, length = body[position], body[position + 1]
        value = body[position + 2 : position + 2 + length]
        if tag == FCP_FILE_SIZE and 1 <= len(value) == length <= 4:
            return int.from_bytes(value, "big")
        position += 2 + length
    return None


class CardApplicationClient(ApduClient):
    """Talks to one application (by AID) on the card behind ``transmit``."""

    status_meanings = _STATUS_MEANING

    def __init__(self, transmit: Transmit, aid: bytes, card_kind: str) -> None:
        super().__init__(transmit)
        self._aid = aid
        self._card_kind = card_kind

    def select(self) -> None:
        """SELECT the application; CardError "not a Rekam … card" if the card has none."""
        command = CommandApdu(0x00, INS_SELECT, 0x04, 0x00, self._aid)
        _, status = self.exchange(command, f"selecting the {self._card_kind} application")
        if status == StatusWord.FILE_NOT_FOUND:
            raise CardError(
                f"This is not a Rekam {self._card_kind} card (it has no such application).",
                device=DEVICE,
            )
        if status != StatusWord.OK:
            raise self._status_error(status, f"selecting the {self._card_kind} application")

    def read_file(self, file_id: int, what: str) -> bytes:
        """SELECT the elementary file, then READ BINARY it to its end and no further."""
        content = self.read_file_if_present(file_id, what)
        if content is None:
            raise self._status_error(StatusWord.FILE_NOT_FOUND, f"reading the {what}")
        return content

    def read_file_if_present(self, file_id: int, what: str) -> bytes | None:
        """Like :meth:`read_file`, but None when the card has no such file."""
        action = f"reading the {what}"
        fid = file_id.to_bytes(2, "big")
        fcp, status = self.exchange(
            CommandApdu(0x00, INS_SELECT, 0x02, SELECT_RETURN_FCP, fid, le=256), action
        )
        if status in _NO_FCP:  # a card that gives no file control parameters
            fcp, status = self.exchange(CommandApdu(0x00, INS_SELECT, 0x02, 0x0C, fid), action)
        if status == StatusWord.FILE_NOT_FOUND:
            return None
        if status != StatusWord.OK:
            raise self._status_error(status, action)
        return self._read_selected(action, file_size_from_fcp(fcp))

    def _read_selected(self, action: str, size: int | None = None) -> bytes:
        """READ BINARY the selected file: exactly ``size`` bytes when known, else to its end."""
        limit = MAX_FILE_SIZE if size is None else min(size, MAX_FILE_SIZE)
        content = bytearray()
        while len(content) < limit:
            offset = len(content)
            asked = min(READ_CHUNK, limit - offset)
            data, status = self._read_binary(offset, asked, action)
            if status == StatusWord.WRONG_P1_P2 and size is None:
                break  # the end, reached exactly at a chunk boundary (or an empty file)
            if status not in (StatusWord.OK, StatusWord.END_OF_FILE):
                raise self._status_error(status, action)
            content += data
            if status == StatusWord.END_OF_FILE or len(data) < asked:
                if size is not None and len(content) < size:
                    raise self._status_error(StatusWord.WRONG_P1_P2, action)
                break
        return bytes(content)

    def _read_binary(self, offset: int, asked: int, action: str) -> tuple[bytes, int]:
        command = CommandApdu(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=asked)
        data, status = self.exchange(command, action)
        if status >> 8 == WRONG_LE_SW1:  # "ask for exactly xx bytes" (00: 256)
            exact = (status & 0xFF) or 256
            command = CommandApdu(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=exact)
            data, status = self.exchange(command, action)
        return data, status
