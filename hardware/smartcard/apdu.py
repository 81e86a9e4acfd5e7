"""ISO 7816-4 command and response APDUs, and the status words Rekam's cards use.

Both sides use this module: the card programs parse commands with
:meth:`CommandApdu.parse`, and the reader builds commands with
:meth:`CommandApdu.to_bytes` and splits answers with :func:`split_response`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hardware.errors import DeviceProtocolError


class StatusWord(IntEnum):
    """The ISO 7816-4 status words Rekam's cards answer with."""

    OK = 0x9000
    END_OF_FILE = 0x6282  # fewer bytes left than Le asked for: those bytes come back
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTHENTICATION_METHOD_BLOCKED = 0x6983
    CONDITIONS_OF_USE_NOT_SATISFIED = 0x6985
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    INCORRECT_P1_P2 = 0x6A86
    WRONG_P1_P2 = 0x6B00  # READ BINARY: offset at or beyond the end of the file
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


# 6C xx: wrong Le, xx is the exact length to ask for (00: 256).
WRONG_LE_SW1 = 0x6C

# VERIFY answers 63 Cx where x is the number of tries left.
WRONG_PIN_SW1 = 0x63
WRONG_PIN_SW2_BASE = 0xC0


def wrong_pin_status(tries_left: int) -> int:
    """The status word for a wrong PIN with ``tries_left`` tries remaining (0..15)."""
    return (WRONG_PIN_SW1 << 8) | WRONG_PIN_SW2_BASE | (tries_left & 0x0F)


def tries_left_from_status(status: int) -> int | None:
    """``x`` from a ``63 Cx`` status word, or None for any other status."""
    if status >> 8 == WRONG_PIN_SW1 and (status & 0xF0) == WRONG_PIN_SW2_BASE:
        return status & 0x0F
    return None


class MalformedApdu(DeviceProtocolError):
    """The bytes are not a well-formed command APDU (the card answers 67 00).

    A :class:`~hardware.errors.DeviceProtocolError`, so also a ``ValueError``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, device="smartcard")


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU. ``le`` is None when no response data is expected.

    ``le`` is the number of bytes asked for; a short ``Le`` byte of 00 means 256
    and an extended ``Le`` of 0000 means 65536, as in ISO 7816-4.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @property
    def extended(self) -> bool:
        return len(self.data) > 255 or (self.le is not None and self.le > 256)

    def to_bytes(self) -> bytes:
        """Encode in short form when it fits, in extended form otherwise."""
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        if len(self.data) > 65535 or (self.le is not None and not 1 <= self.le <= 65536):
            raise ValueError("APDU data or Le out of range")
        if not self.extended:
            body = b""
            if self.data:
                body += bytes((len(self.data),)) + self.data
            if self.le is not None:
                body += bytes((self.le % 256,))
            return header + body
        body = b"\x00"
        if self.data:
            body += len(self.data).to_bytes(2, "big") + self.data
        if self.le is not None:
            body += (self.le % 65536).to_bytes(2, "big")
        return header + body

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Decode the four ISO cases in short and extended form; raise MalformedApdu."""
        if len(raw) < 4:
            raise MalformedApdu("shorter than a header")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0:
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), le=body[-1] or 256)
            raise MalformedApdu("Lc does not match the data")
        # Extended length: a 00 byte, then two-byte fields.
        if len(body) == 3:
            return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 65536)
        lc = int.from_bytes(body[1:3], "big") if len(body) >= 3 else 0
        if lc == 0:
            raise MalformedApdu("extended Lc of zero")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or 65536
            return cls(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le=le)
        raise MalformedApdu("extended Lc does not match the data")


def response(data: bytes = b"", status: int = StatusWord.OK) -> bytes:
    """A response APDU: data followed by SW1 SW2."""
    return bytes(data) + int(status).to_bytes(2, "big")


def split_response(raw: bytes) -> tuple[bytes, int]:
    """Split a response APDU into (data, status word). Raises ValueError if under 2 bytes."""
    if len(raw) < 2:
        raise ValueError("a response APDU has at least a two-byte status word")
    return bytes(raw[:-2]), int.from_bytes(raw[-2:], "big")
