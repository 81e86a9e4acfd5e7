"""The R30x/R503 packet protocol: framing, checksums, instruction and confirmation codes.

A packet on the wire is::

    EF 01 | address (4) | packet id (1) | length (2) | payload | checksum (2)

``length`` counts the payload plus the two checksum bytes; the checksum is the low 16
bits of the sum of the packet id, the two length bytes and the payload. Commands go out
with packet id 01 and come back as an acknowledgement (07) whose first payload byte is
the confirmation code. Templates move as data packets (02) ended by an end packet (08).

Both sides use this module: the emulator to parse commands and build replies, and the
backend to check every reply the Adafruit library reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

START_CODE = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
HEADER_SIZE = 9  # start code, address, packet id, length
MAX_PAYLOAD = 256 + 1  # a 256-byte data packet is the largest the sensor sends or accepts


class PacketId(IntEnum):
    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END_OF_DATA = 0x08


class Instruction(IntEnum):
    """Instruction codes (first payload byte of a command packet)."""

    GET_IMAGE = 0x01
    IMAGE_TO_TEMPLATE = 0x02
    MATCH = 0x03
    SEARCH = 0x04
    CREATE_MODEL = 0x05
    STORE = 0x06
    LOAD = 0x07
    UPLOAD_TEMPLATE = 0x08
    DOWNLOAD_TEMPLATE = 0x09
    UPLOAD_IMAGE = 0x0A
    DOWNLOAD_IMAGE = 0x0B
    DELETE = 0x0C
    EMPTY_LIBRARY = 0x0D
    SET_SYSTEM_PARAMETER = 0x0E
    READ_SYSTEM_PARAMETERS = 0x0F
    SET_PASSWORD = 0x12
    VERIFY_PASSWORD = 0x13
    GET_RANDOM_CODE = 0x14
    SET_ADDRESS = 0x15
    PORT_CONTROL = 0x17
    WRITE_NOTEPAD = 0x18
    READ_NOTEPAD = 0x19
    FAST_SEARCH = 0x1B
    TEMPLATE_COUNT = 0x1D
    READ_INDEX_TABLE = 0x1F
    AURA_LED = 0x35
    SOFT_RESET = 0x3D
    HANDSHAKE = 0x40  # R503: answers 00 when the module works
    LED_ON = 0x50
    LED_OFF = 0x51
    GET_ECHO = 0x53  # R30x: answers 55 (adafruit_fingerprint's check_module)


class Confirmation(IntEnum):
    """Confirmation codes (first payload byte of an acknowledgement)."""

    OK = 0x00
    PACKET_RECEIVE_ERROR = 0x01
    NO_FINGER = 0x02
    IMAGE_FAIL = 0x03
    IMAGE_MESSY = 0x06
    FEATURE_FAIL = 0x07
    NO_MATCH = 0x08
    NOT_FOUND = 0x09
    ENROLL_MISMATCH = 0x0A
    BAD_LOCATION = 0x0B
    READ_TEMPLATE_FAIL = 0x0C
    UPLOAD_FEATURE_FAIL = 0x0D
    DATA_RECEIVE_FAIL = 0x0E
    UPLOAD_IMAGE_FAIL = 0x0F
    DELETE_FAIL = 0x10
    EMPTY_FAIL = 0x11
    WRONG_PASSWORD = 0x13
    INVALID_IMAGE = 0x15
    FLASH_ERROR = 0x18
    INVALID_REGISTER = 0x1A
    PORT_OPERATION_FAIL = 0x1D
    ADDRESS_ERROR = 0x20
    PASSWORD_NEEDED = 0x21
    MODULE_OK = 0x55


PACKET_SIZE_CODES = {32: 0, 64: 1, 128: 2, 256: 3}
"""Data packet sizes in bytes and the code the system parameters report for each."""


def instruction_name(code: int) -> str:
    """A readable name for an instruction code, for traffic logs."""
    try:
        return Instruction(code).name
    except ValueError:
        return f"UNKNOWN_0x{code:02X}"


def confirmation_name(code: int) -> str:
    try:
        return Confirmation(code).name
    except ValueError:
        return f"CODE_0x{code:02X}"


def checksum(packet_id: int, payload: bytes) -> int:
    length = len(payload) + 2
    return (packet_id + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def build_packet(packet_id: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    """One complete packet with a correct checksum."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes is longer than a packet can carry")
    return (
        START_CODE
        + struct.pack(">IBH", address, packet_id, len(payload) + 2)
        + payload
        + struct.pack(">H", checksum(packet_id, payload))
    )


def build_reply(code: int, data: bytes = b"", address: int = DEFAULT_ADDRESS) -> bytes:
    """An acknowledgement: the confirmation code followed by ``data``."""
    return build_packet(PacketId.ACK, bytes([code]) + data, address)


@dataclass(frozen=True)
class Frame:
    """A packet read off the wire. ``valid`` is False when its checksum did not add up."""

    address: int
    packet_id: int
    payload: bytes = field(repr=False)
    valid: bool


class FrameReader:
    """Splits a byte stream into frames, resynchronising on garbage.

    Bytes before a start code are dropped; a header whose length cannot be a real
    packet is dropped one byte at a time. A partial frame that sees no new byte for
    ``gap_seconds`` is discarded, as a sensor resets its receiver after a pause.
    """

    def __init__(self, gap_seconds: float = 0.5) -> None:
        self._buffer = bytearray()
        self._gap_seconds = gap_seconds
        self._last_byte_at = 0.0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes, now: float) -> list[Frame]:
        if self._buffer and now - self._last_byte_at > self._gap_seconds:
            self._buffer.clear()
        if data:
            self._buffer += data
            self._last_byte_at = now
        frames: list[Frame] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return frames
            frames.append(frame)

    def expire(self, now: float) -> None:
        """Forget a partial frame that has waited longer than the gap."""
        if self._buffer and now - self._last_byte_at > self._gap_seconds:
            self._buffer.clear()

    def _next_frame(self) -> Frame | None:
        buffer = self._buffer
        while True:
            start = buffer.find(START_CODE)
            if start < 0:
                # keep a trailing 0xEF: it may be the first half of a start code
                del buffer[: len(buffer) - 1 if buffer.endswith(START_CODE[:1]) else len(buffer)]
                return None
            del buffer[:start]
            if len(buffer) < HEADER_SIZE:
                return None
            address, packet_id, length = struct.unpack(">IBH", buffer[2:HEADER_SIZE])
            if length < 3 or length > MAX_PAYLOAD + 2:
                del buffer[:1]
                continue
            total = HEADER_SIZE + length
            if len(buffer) < total:
                return None
            payload = bytes(buffer[HEADER_SIZE : total - 2])
            (received,) = struct.unpack(">H", buffer[total - 2 : total])
            del buffer[:total]
            return Frame(address, packet_id, payload, received == checksum(packet_id, payload))
