"""Virtual card programs: what an emulated card answers to each command APDU.

A card program is plain Python with no I/O: :meth:`CardProgram.process` takes the
bytes of a command APDU and returns the bytes of the response APDU. It never
raises; anything odd gets an ISO 7816-4 status word. ``hardware.smartcard.vpcd``
carries these bytes to and from the vpcd reader driver inside pcscd.

:class:`ResidentEktpCard` (NIK, name, two fingerprint templates, for the hand-over
of a printed e-KTP) is built on :class:`CardProgram`; so is the PIV operator card
(:mod:`hardware.smartcard.piv_card`), which answers its own instructions.

A card program holds one application, selected by AID, with small elementary files
selected by a two-byte file id (SELECT with P2 04 answers the file control
parameters, its size among them) and read with READ BINARY at a 15-bit offset.
:class:`CardProgram` answers at a file's end as ISO 7816-4 cards do, for every card:
6B00 at or past the end, the last bytes with 6282 when fewer are left than asked.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass

from hardware.smartcard.apdu import CommandApdu, MalformedApdu, StatusWord, response

# A proprietary AID (RID category F: not registered, private use).
RESIDENT_AID = bytes.fromhex("F052454B414D4B5450")  # F0 "REKAMKTP"

# Elementary files (two-byte ids) of the resident application.
EF_NIK = 0x0101
EF_RESIDENT_NAME = 0x0102
EF_TEMPLATE_1 = 0x0201
EF_TEMPLATE_2 = 0x0202

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
SELECT_RETURN_FCP = 0x04  # P2 of SELECT: answer with the file control parameters
FCP_TEMPLATE = 0x62
FCP_FILE_SIZE = 0x80  # data bytes in a transparent file
FCP_DESCRIPTOR = 0x82
FCP_FILE_ID = 0x83
TRANSPARENT_EF = 0x01  # file descriptor byte of a working transparent EF


def make_atr(historical: bytes) -> bytes:
    """A T=1 ATR (TS 3B, TD1 80, TD2 01) with the given historical bytes and TCK."""
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    check = 0
    for byte in body:
        check ^= byte
    return b"\x3b" + body + bytes((check,))


def file_control_parameters(file_id: int, size: int) -> bytes:
    """The FCP template (tag 62) SELECT returns for a transparent EF: size, type and id."""
    body = (
        bytes((FCP_FILE_SIZE, 2))
        + size.to_bytes(2, "big")
        + bytes((FCP_DESCRIPTOR, 1, TRANSPARENT_EF))
        + bytes((FCP_FILE_ID, 2))
        + file_id.to_bytes(2, "big")
    )
    return bytes((FCP_TEMPLATE, len(body))) + body


@dataclass(frozen=True)
class CardFile:
    """An elementary file: its bytes, and whether reading needs the PIN first."""

    content: bytes
    needs_pin: bool = False


class CardProgram(ABC):
    """Base of a virtual card with one application of small files.

    A subclass must set :attr:`atr`, :attr:`aid` and :attr:`files`; it may
    override :meth:`_handle_other` for instructions beyond SELECT and READ BINARY
    and :meth:`_pin_verified` when reading protected files needs a PIN.
    Volatile state (selection, PIN verified) is cleared on power off and reset.
    """

    atr: bytes
    aid: bytes
    files: dict[int, CardFile]

    def __init__(self) -> None:
        self._powered = False
        self._app_selected = False
        self._current_file: int | None = None
        self._clear_volatile_state()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(aid={self.aid.hex()})"

    # Power and reset -----------------------------------------------------------
    def power_on(self) -> None:
        self._powered = True
        self._clear_volatile_state()

    def power_off(self) -> None:
        self._powered = False
        self._clear_volatile_state()

    def reset(self) -> None:
        self._clear_volatile_state()

    def _clear_volatile_state(self) -> None:
        self._app_selected = False
        self._current_file = None

    # Command processing ----------------------------------------------------------
    def process(self, raw: bytes) -> bytes:
        """Answer one command APDU. Never raises: every failure is a status word."""
        try:
            command = CommandApdu.parse(raw)
        except MalformedApdu:
            return response(status=StatusWord.WRONG_LENGTH)
        try:
            return self._dispatch(command)
        except Exception:  # a card never crashes; it answers "no precise diagnosis"
            return response(status=StatusWord.NO_PRECISE_DIAGNOSIS)

    def _dispatch(self, command: CommandApdu) -> bytes:
        if command.cla != 0x00:
            return response(status=StatusWord.CLA_NOT_SUPPORTED)
        if command.ins == INS_SELECT:
            return self._select(command)
        if command.ins == INS_READ_BINARY:
            if not self._app_selected:
                return response(status=StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED)
            return self._read_binary(command)
        return self._handle_other(command)

    def _handle_other(self, command: CommandApdu) -> bytes:
        """Answer an instruction other than SELECT and READ BINARY."""
        return response(status=StatusWord.INS_NOT_SUPPORTED)

    def _pin_verified(self) -> bool:
        """Whether protected files may be read now. Cards without a PIN say False."""
        return False

    def _select(self, command: CommandApdu) -> bytes:
        if command.p1 == 0x04:  # by DF name (AID)
            if command.p2 not in (0x00, 0x0C):
                return response(status=StatusWord.INCORRECT_P1_P2)
            if not 5 <= len(command.data) <= 16:
                return response(status=StatusWord.WRONG_LENGTH)
            if command.data != self.aid:
                return response(status=StatusWord.FILE_NOT_FOUND)
            if not self._app_selected:
                self._app_selected = True
                self._current_file = None
            return response()
        if command.p1 in (0x00, 0x02):  # by file id, under the current application
            if command.p2 not in (0x00, SELECT_RETURN_FCP, 0x0C):
                return response(status=StatusWord.INCORRECT_P1_P2)
            if len(command.data) != 2:
                return response(status=StatusWord.WRONG_LENGTH)
            file_id = int.from_bytes(command.data, "big")
            if not self._app_selected or file_id not in self.files:
                return response(status=StatusWord.FILE_NOT_FOUND)
            self._current_file = file_id
            if command.p2 == SELECT_RETURN_FCP:
                return response(file_control_parameters(file_id, len(self.files[file_id].content)))
            return response()
        return response(status=StatusWord.INCORRECT_P1_P2)

    def _read_binary(self, command: CommandApdu) -> bytes:
        """ISO 7816-4 READ BINARY at a 15-bit offset, as real cards answer at the file's end.

        An offset at or beyond the end: 6B00 and no data. Fewer bytes left than Le asks
        for: those bytes and 6282 ("end of file reached before reading Le bytes").
        """
        if command.p1 & 0x80:  # short file identifiers are not supported
            return response(status=StatusWord.INCORRECT_P1_P2)
        if command.data or command.le is None:
            return response(status=StatusWord.WRONG_LENGTH)
        if self._current_file is None:
            return response(status=StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED)
        card_file = self.files[self._current_file]
        if card_file.needs_pin and not self._pin_verified():
            return response(status=StatusWord.SECURITY_STATUS_NOT_SATISFIED)
        offset = (command.p1 << 8) | command.p2
        if offset >= len(card_file.content):
            return response(status=StatusWord.WRONG_P1_P2)
        data = card_file.content[offset : offset + command.le]
        if len(data) < command.le:
            return response(data, StatusWord.END_OF_FILE)
        return response(data)


class ResidentEktpCard(CardProgram):
    """A resident's printed e-KTP as seen at hand-over: NIK, name, two templates.

    Nothing on it needs a PIN (the real card's secure channel is out of scope).
    Templates are opaque bytes, read in chunks with READ BINARY at offsets.
    """

    aid = RESIDENT_AID
    atr = make_atr(b"REKAM-KTP")

    def __init__(self, nik: str, name: str, templates: tuple[bytes, bytes]) -> None:
        if not (len(nik) == 16 and nik.isascii() and nik.isdigit()):
            raise ValueError("a NIK has 16 digits")
        if len(templates) != 2 or any(not 0 < len(t) <= 0x7FFF for t in templates):
            raise ValueError("a resident card holds two templates of 1 to 32767 bytes")
        self.files = {
            EF_NIK: CardFile(nik.encode("ascii")),
            EF_RESIDENT_NAME: CardFile(name.encode("utf-8")),
            EF_TEMPLATE_1: CardFile(bytes(templates[0])),
            EF_TEMPLATE_2: CardFile(bytes(templates[1])),
        }
        super().__init__()
