"""BER-TLV as PIV cards use it (NIST SP 800-73-4 part 2, ISO 7816-4 annex D).

Tags are one to three bytes (a first byte with the low five bits set continues;
following bytes continue while their top bit is set); lengths use the short form
below 128 and the 81 / 82 long forms above. Both the emulated PIV card and the
reader-side PIV client use these helpers.
"""

from __future__ import annotations

from hardware.errors import DeviceProtocolError


class MalformedTlv(DeviceProtocolError):
    """The bytes are not well-formed BER-TLV (also a ValueError)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, device="smartcard")


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length <= 0xFF:
        return bytes((0x81, length))
    if length <= 0xFFFF:
        return b"\x82" + length.to_bytes(2, "big")
    raise ValueError("a TLV value of 64 KiB or more")


def tlv(tag: int, value: bytes = b"") -> bytes:
    """One TLV: ``tag`` (an int of 1 to 3 bytes, e.g. 0x5FC105) and its value."""
    size = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(size, "big") + encode_length(len(value)) + bytes(value)


def _read_tag(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise MalformedTlv("a tag runs past the end")
    tag = data[at]
    at += 1
    if tag & 0x1F == 0x1F:
        while True:
            if at >= len(data):
                raise MalformedTlv("a multi-byte tag runs past the end")
            tag = (tag << 8) | data[at]
            at += 1
            if not data[at - 1] & 0x80:
                break
    return tag, at


def _read_length(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise MalformedTlv("a length runs past the end")
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count not in (1, 2, 3) or at + 1 + count > len(data):
        raise MalformedTlv("a long-form length is malformed")
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


def parse_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into (tag, value) pairs at one level; MalformedTlv if it does not fit."""
    items: list[tuple[int, bytes]] = []
    at = 0
    while at < len(data):
        if data[at] in (0x00, 0xFF):  # padding between objects (ISO 7816-4 5.2.2.1)
            at += 1
            continue
        tag, at = _read_tag(data, at)
        length, at = _read_length(data, at)
        if at + length > len(data):
            raise MalformedTlv(f"the value of tag {tag:X} runs past the end")
        items.append((tag, bytes(data[at : at + length])))
        at += length
    return items


def tlv_dict(data: bytes) -> dict[int, bytes]:
    """The first value of each tag at one level of ``data``."""
    found: dict[int, bytes] = {}
    for tag, value in parse_tlvs(data):
        found.setdefault(tag, value)
    return found


def single_value(data: bytes, tag: int) -> bytes:
    """The value of ``data`` when it is exactly one TLV with ``tag``; MalformedTlv otherwise."""
    items = parse_tlvs(data)
    if len(items) != 1 or items[0][0] != tag:
        raise MalformedTlv(f"expected one object with tag {tag:X}")
    return items[0][1]
