"""The module's system instructions, as the R30x/R503 datasheets give them.

SetPwd (12H), GetRandomCode (14H), SetAdder (15H), Control (17H), WriteNotepad (18H),
ReadNotepad (19H), AuraLedConfig (35H) and R503's HandShake (40H): through the real
``adafruit_fingerprint`` library where it has the call (``set_led``, ``read_sysparam``,
``verify_password``), through the library's own packet functions where it has none,
and as raw bytes with a hand-written frame builder (nothing from ``hardware``) to check
reply sizes byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator

import adafruit_fingerprint
import pytest
import serial

from hardware.fingerprint.emulator import SensorEmulator
from hardware.fingerprint.simulated_sensor import LedState

pytest_plugins = ["fingerprint_fixtures"]
pytestmark = pytest.mark.timeout(120)

DEFAULT = 0xFFFFFFFF
NEW_ADDRESS = 0x0A0B0C0D
NEW_PASSWORD = 0x00C0FFEE


def frame(payload: bytes, address: int = DEFAULT, packet_id: int = 0x01) -> bytes:
    body = bytes([packet_id]) + (len(payload) + 2).to_bytes(2, "big") + payload
    return b"\xef\x01" + address.to_bytes(4, "big") + body + (sum(body) & 0xFFFF).to_bytes(2, "big")


def ack(code: int, data: bytes = b"", address: int = DEFAULT) -> bytes:
    return frame(bytes([code]) + data, address, packet_id=0x07)


@pytest.fixture
def line(sensor_emulator: SensorEmulator) -> Iterator[serial.Serial]:
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as port:
        yield port


def library(port: serial.Serial, password: int = 0) -> adafruit_fingerprint.Adafruit_Fingerprint:
    return adafruit_fingerprint.Adafruit_Fingerprint(port, tuple(password.to_bytes(4, "big")))


def test_handshake_and_random_code_have_the_datasheet_sizes(line: serial.Serial) -> None:
    line.write(frame(b"\x40"))  # HandShake
    assert line.read(12) == ack(0x00)

    codes = set()
    for _ in range(3):
        line.write(frame(b"\x14"))  # GetRandomCode: code + 4 bytes, a 16-byte packet
        reply = line.read(16)
        assert reply[:10] == bytes.fromhex("EF01 FFFFFFFF 07 0007 00")
        assert reply == ack(0x00, reply[10:14])  # checksum right
        codes.add(reply[10:14])
    assert len(codes) == 3  # random, not a constant

    line.write(frame(b"\x14\x00"))  # a parameter it does not take: error, same size
    assert line.read(16) == ack(0x01, bytes(4))


def test_notepad_pages_keep_32_bytes_across_a_power_cycle(
    sensor_emulator: SensorEmulator, line: serial.Serial
) -> None:
    note = b"booth 07 / sensor R503 / row 3  "
    assert len(note) == 32
    line.write(frame(b"\x18\x03" + note))  # WriteNotepad, page 3
    assert line.read(12) == ack(0x00)
    line.write(frame(b"\x18\x10" + note))  # page 16 does not exist (00-0F)
    assert line.read(12) == ack(0x01)
    line.write(frame(b"\x18\x04" + note[:31]))  # a page is exactly 32 bytes
    assert line.read(12) == ack(0x01)

    line.close()
    sensor_emulator.disconnect()  # unplugged and plugged in again: the notepad is in flash
    sensor_emulator.reconnect()
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as again:
        finger = library(again)
        finger._send_packet([0x19, 0x03])  # ReadNotepad through the library's own framing
        reply = finger._get_packet(44)  # code + 32 bytes
        assert bytes(reply) == b"\x00" + note
        finger._send_packet([0x19, 0x04])
        assert bytes(finger._get_packet(44)) == bytes(33)  # a page never written


def test_after_set_address_the_module_answers_only_at_the_new_one(
    sensor_emulator: SensorEmulator,
) -> None:
    with serial.Serial(sensor_emulator.port, 57600, timeout=1) as port:
        finger = library(port)
        finger._send_packet([0x15, *NEW_ADDRESS.to_bytes(4, "big")])  # SetAdder
        finger.address = list(NEW_ADDRESS.to_bytes(4, "big"))  # the ack comes from it
        assert finger._get_packet(12)[0] == adafruit_fingerprint.OK

        assert finger.read_sysparam() == adafruit_fingerprint.OK
        assert finger.device_address == NEW_ADDRESS.to_bytes(4, "big")
        assert finger.set_led(color=4, mode=3) == adafruit_fingerprint.OK

        port.write(frame(b"\x1d"))  # TempleteNum to the old address: silence
        assert port.read(14) == b""
        port.write(frame(b"\x1d", NEW_ADDRESS))
        assert port.read(14) == ack(0x00, b"\x00\x00", NEW_ADDRESS)

        with pytest.raises(RuntimeError):  # a client that still uses FFFFFFFF finds nothing
            library(port)
    assert "packet for another address ignored" in sensor_emulator.traffic
    assert sensor_emulator.address == NEW_ADDRESS


def test_after_set_password_only_the_new_one_opens_the_module(
    sensor_emulator: SensorEmulator,
) -> None:
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as port:
        finger = library(port)
        finger._send_packet([0x12, *NEW_PASSWORD.to_bytes(4, "big")])  # SetPwd
        assert finger._get_packet(12)[0] == adafruit_fingerprint.OK
        assert finger.verify_password() == adafruit_fingerprint.PASSFAIL  # 0 is wrong now
        finger.password = tuple(NEW_PASSWORD.to_bytes(4, "big"))
        assert finger.verify_password() == adafruit_fingerprint.OK

    sensor_emulator.disconnect()
    sensor_emulator.reconnect()
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as port:
        port.write(frame(b"\x1d"))  # before the password: "verify the password first"
        assert port.read(12) == ack(0x21)
        port.write(frame(b"\x40"))  # the handshake is answered all the same
        assert port.read(12) == ack(0x00)
        with pytest.raises(RuntimeError, match="Failed to find sensor"):
            library(port)  # the library's constructor verifies the factory password 0
        finger = library(port, NEW_PASSWORD)
        assert finger.count_templates() == adafruit_fingerprint.OK


def test_port_control_switches_the_usb_port_and_refuses_other_codes(
    sensor_emulator: SensorEmulator, line: serial.Serial
) -> None:
    line.write(frame(b"\x17\x00"))  # Control: USB port off
    assert line.read(12) == ack(0x00)
    assert not sensor_emulator.sensor.system.port_enabled
    line.write(frame(b"\x17\x02"))  # neither on nor off: "failed to operate the port"
    assert line.read(12) == ack(0x1D)
    line.write(frame(b"\x17\x01"))  # the UART still answers, and turns it back on
    assert line.read(12) == ack(0x00)
    assert sensor_emulator.sensor.system.port_enabled


def test_aura_led_through_the_library(sensor_emulator: SensorEmulator, line: serial.Serial) -> None:
    finger = library(line)
    assert finger.set_led(color=2, mode=2, speed=0x30, cycles=5) == adafruit_fingerprint.OK
    assert sensor_emulator.led == LedState(mode=2, color=2, speed=0x30, cycles=5)
    line.write(frame(b"\x35\x01\x80\x01"))  # three parameters of four: refused, LED unchanged
    assert line.read(12) == ack(0x01)
    assert sensor_emulator.led == LedState(mode=2, color=2, speed=0x30, cycles=5)
