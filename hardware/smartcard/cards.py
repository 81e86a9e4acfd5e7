"""Virtual card programs: what an emulated card answers to each command APDU.

A card program is plain Python with no I/O: :meth:`CardProgram.process` takes the
bytes of a command APDU and returns the bytes of the response APDU. It never
raises; anything odd gets an ISO 7816-4 status word. ``hardware.smartcard.vpcd``
carries these bytes to and from the vpcd reader driver inside pcscd.

Two programs exist: :class:`OperatorCard` (PIN, operator identity, Ed25519
challenge signing) and :class:`ResidentEktpCard` (NIK, name, two fingerprint
templates, for the hand-over of a printed e-KTP). The PIN and the private key
stay inside the program: no method returns them and ``repr`` does not show them.

Both cards hold one application, selected by AID, with small elementary files
selected by a two-byte file id and read with READ BINARY at a 15-bit offset.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from abc import ABC
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hardware.smartcard.apdu import CommandApdu, MalformedApdu, StatusWord, response
from hardware.smartcard.apdu import wrong_pin_status as _wrong_pin_status

# Proprietary AIDs (RID category F: not registered, private use).
OPERATOR_AID = bytes.fromhex("F052454B414D4F50")  # F0 "REKAMOP"
RESIDENT_AID = bytes.fromhex("F052454B414D4B5450")  # F0 "REKAMKTP"

# Elementary files (two-byte ids) of both applications.
EF_OPERATOR_ID = 0x0101
EF_OPERATOR_NAME = 0x0102
EF_OPERATOR_PUBLIC_KEY = 0x0103
EF_OPERATOR_CERTIFICATE = 0x0104  # DER X.509 written by the office
EF_NIK = 0x0101
EF_RESIDENT_NAME = 0x0102
EF_TEMPLATE_1 = 0x0201
EF_TEMPLATE_2 = 0x0202

PIN_TRIES = 3
PIN_BLOCK_SIZE = 8  # PIN digits in ASCII, padded with FF to 8 bytes
PIN_PADDING = 0xFF

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_VERIFY = 0x20
INS_INTERNAL_AUTHENTICATE = 0x88
PIN_REFERENCE = 0x80  # P2 of VERIFY: the application PIN


def _make_atr(historical: bytes) -> bytes:
    """A T=1 ATR (TS 3B, TD1 80, TD2 01) with the given historical bytes and TCK."""
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    check = 0
    for byte in body:
        check ^= byte
    return b"\x3b" + body + bytes((check,))


def encode_pin_block(pin: str) -> bytes:
    """The VERIFY data for ``pin``: its ASCII digits padded with FF to 8 bytes."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= PIN_BLOCK_SIZE):
        raise ValueError("a PIN has 4 to 8 digits")
    return pin.encode("ascii").ljust(PIN_BLOCK_SIZE, bytes((PIN_PADDING,)))


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
            if command.p2 not in (0x00, 0x0C):
                return response(status=StatusWord.INCORRECT_P1_P2)
            if len(command.data) != 2:
                return response(status=StatusWord.WRONG_LENGTH)
            file_id = int.from_bytes(command.data, "big")
            if not self._app_selected or file_id not in self.files:
                return response(status=StatusWord.FILE_NOT_FOUND)
            self._current_file = file_id
            return response()
        return response(status=StatusWord.INCORRECT_P1_P2)

    def _read_binary(self, command: CommandApdu) -> bytes:
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
        if offset > len(card_file.content):
            return response(status=StatusWord.WRONG_P1_P2)
        return response(card_file.content[offset : offset + command.le])


class OperatorCard(CardProgram):
    """An operator's login card: PIN with 3 tries, identity files, Ed25519 signing.

    The key pair is created on the card when the program is made; only the
    public key can be read out (EF 0103, no PIN needed). Operator id and name
    (EF 0101, 0102) and INTERNAL AUTHENTICATE need the PIN verified first.
    A card is blank until the office issues it: :meth:`install_certificate` writes
    the office's certificate for its key (EF 0104, no PIN needed), as the office's
    personalisation does (``ektp.pki.OperatorCardIssuer``, outside the hardware layer).
    """

    aid = OPERATOR_AID
    atr = _make_atr(b"REKAM-OP")

    def __init__(self, operator_id: str, name: str, pin: str) -> None:
        self.__pin_salt = os.urandom(16)
        self.__pin_digest = self._digest(encode_pin_block(pin))
        self.__private_key = Ed25519PrivateKey.generate()
        self._tries_left = PIN_TRIES
        self._verified = False
        public_key = self.__private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.files = {
            EF_OPERATOR_ID: CardFile(operator_id.encode("utf-8"), needs_pin=True),
            EF_OPERATOR_NAME: CardFile(name.encode("utf-8"), needs_pin=True),
            EF_OPERATOR_PUBLIC_KEY: CardFile(public_key),
        }
        super().__init__()

    @property
    def public_key(self) -> bytes:
        """The card's Ed25519 public key, 32 raw bytes (what the issuer certifies)."""
        return self.files[EF_OPERATOR_PUBLIC_KEY].content

    @property
    def operator_id(self) -> str:
        return self.files[EF_OPERATOR_ID].content.decode("utf-8")

    @property
    def name(self) -> str:
        return self.files[EF_OPERATOR_NAME].content.decode("utf-8")

    @property
    def certificate(self) -> bytes | None:
        """The certificate the office wrote on the card; None while the card is blank."""
        card_file = self.files.get(EF_OPERATOR_CERTIFICATE)
        return card_file.content if card_file is not None else None

    def install_certificate(self, certificate_der: bytes) -> None:
        """Personalisation: write the office's certificate (DER) to EF 0104."""
        if not 0 < len(certificate_der) <= 0x7FFF:
            raise ValueError("a certificate has 1 to 32767 bytes")
        self.files[EF_OPERATOR_CERTIFICATE] = CardFile(bytes(certificate_der))

    def _digest(self, pin_block: bytes) -> bytes:
        """The card keeps a salted digest of the PIN block, never the PIN itself."""
        return hashlib.sha256(self.__pin_salt + pin_block).digest()

    @property
    def pin_tries_left(self) -> int:
        return self._tries_left

    def _clear_volatile_state(self) -> None:
        super()._clear_volatile_state()
        self._verified = False

    def _pin_verified(self) -> bool:
        return self._verified

    def _handle_other(self, command: CommandApdu) -> bytes:
        if command.ins == INS_VERIFY:
            return self._verify(command) if self._app_selected else self._not_selected()
        if command.ins == INS_INTERNAL_AUTHENTICATE:
            return self._authenticate(command) if self._app_selected else self._not_selected()
        return response(status=StatusWord.INS_NOT_SUPPORTED)

    @staticmethod
    def _not_selected() -> bytes:
        return response(status=StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED)

    def _verify(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00 or command.p2 != PIN_REFERENCE:
            return response(status=StatusWord.INCORRECT_P1_P2)
        if self._tries_left == 0:
            return response(status=StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        if not command.data:  # ISO 7816-4: VERIFY without data asks for the status
            if self._verified:
                return response()
            return response(status=_wrong_pin_status(self._tries_left))
        if len(command.data) != PIN_BLOCK_SIZE:
            return response(status=StatusWord.WRONG_LENGTH)
        if hmac.compare_digest(self._digest(command.data), self.__pin_digest):
            self._tries_left = PIN_TRIES
            self._verified = True
            return response()
        self._tries_left -= 1
        self._verified = False
        return response(status=_wrong_pin_status(self._tries_left))

    def _authenticate(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00 or command.p2 != 0x00:
            return response(status=StatusWord.INCORRECT_P1_P2)
        if not command.data:
            return response(status=StatusWord.WRONG_LENGTH)
        if not self._verified:
            return response(status=StatusWord.SECURITY_STATUS_NOT_SATISFIED)
        return response(self.__private_key.sign(command.data))


class ResidentEktpCard(CardProgram):
    """A resident's printed e-KTP as seen at hand-over: NIK, name, two templates.

    Nothing on it needs a PIN (the real card's secure channel is out of scope).
    Templates are opaque bytes, read in chunks with READ BINARY at offsets.
    """

    aid = RESIDENT_AID
    atr = _make_atr(b"REKAM-KTP")

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
