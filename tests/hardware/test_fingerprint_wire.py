"""The emulator speaks the R30x wire protocol, not just our use of it.

A hand-written client (pyserial and a ten-line frame builder, nothing from
``hardware``) checks reply bytes; the Adafruit library's own constructor and calls run
against it; and random, truncated or corrupt packets never break it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import adafruit_fingerprint
import pytest
import serial
from hypothesis import given
from hypothesis import strategies as st

from hardware.fingerprint import EmulatedFingerprintConfig
from hardware.fingerprint.emulator import SensorEmulator

pytest_plugins = ["fingerprint_fixtures"]
pytestmark = pytest.mark.timeout(120)

BROADCAST = 0xFFFFFFFF


def frame(packet_id: int, payload: bytes, address: int = BROADCAST) -> bytes:
    body = bytes([packet_id]) + (len(payload) + 2).to_bytes(2, "big") + payload
    checksum = (sum(body) & 0xFFFF).to_bytes(2, "big")
    return b"\xef\x01" + address.to_bytes(4, "big") + body + checksum


def command(*payload: int) -> bytes:
    return frame(0x01, bytes(payload))


def read_frame(line: serial.Serial) -> tuple[int, bytes]:
    """One packet off the line: (packet id, payload), its checksum checked."""
    packet = read_frame_or_silence(line)
    assert packet is not None, "no reply"
    return packet


def read_frame_or_silence(line: serial.Serial) -> tuple[int, bytes] | None:
    header = line.read(9)
    if not header:
        return None
    assert len(header) == 9, f"cut-off reply {header!r}"
    assert header[:6] == b"\xef\x01\xff\xff\xff\xff"
    length = int.from_bytes(header[7:9], "big")
    rest = line.read(length)
    assert len(rest) == length
    payload, checksum = rest[:-2], rest[-2:]
    assert (header[6] + header[7] + header[8] + sum(payload)) & 0xFFFF == int.from_bytes(
        checksum, "big"
    )
    return header[6], payload


def ask(line: serial.Serial, *payload: int) -> bytes:
    """Send a command; return the acknowledgement's payload (code first)."""
    line.write(command(*payload))
    packet_id, reply = read_frame(line)
    assert packet_id == 0x07
    return reply


@pytest.fixture
def line(sensor_emulator: SensorEmulator) -> Iterator[serial.Serial]:
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as port:
        yield port


def test_replies_are_byte_exact_r30x_packets(
    sensor_emulator: SensorEmulator, line: serial.Serial
) -> None:
    line.write(command(0x13, 0, 0, 0, 0))  # VfyPwd, password 0
    assert line.read(12) == bytes.fromhex("EF01 FFFFFFFF 07 0003 00 000A")

    line.write(command(0x1D))  # TempleteNum
    assert line.read(14) == bytes.fromhex("EF01 FFFFFFFF 07 0005 00 0000 000C")

    parameters = ask(line, 0x0F)  # ReadSysPara: code + 16 bytes
    assert len(parameters) == 17
    assert parameters[0] == 0x00
    assert int.from_bytes(parameters[5:7], "big") == 200  # library size
    assert parameters[9:13] == b"\xff\xff\xff\xff"  # address
    assert int.from_bytes(parameters[13:15], "big") == 2  # 128-byte data packets
    assert int.from_bytes(parameters[15:17], "big") == 6  # 6 x 9600 baud

    assert ask(line, 0x53) == b"\x55"  # handshake: module OK


def test_a_finger_goes_image_to_template_to_host_and_back_by_hand(
    sensor_emulator: SensorEmulator, line: serial.Serial
) -> None:
    assert ask(line, 0x01) == b"\x02"  # GenImg with an empty glass: no finger
    sensor_emulator.present_finger("made:left_thumb")
    assert ask(line, 0x01) == b"\x00"
    assert ask(line, 0x02, 1) == b"\x00"  # Img2Tz into CharBuffer1

    assert ask(line, 0x08, 1) == b"\x00"  # UpChar: ack, then data packets 02 ... 08
    packets = [read_frame(line)]
    while packets[-1][0] == 0x02:
        packets.append(read_frame(line))
    assert [pid for pid, _ in packets] == [0x02, 0x02, 0x02, 0x08]
    assert all(len(payload) == 128 for _, payload in packets)
    template = b"".join(payload for _, payload in packets)

    assert ask(line, 0x09, 2) == b"\x00"  # DownChar into CharBuffer2
    chunks = [template[i : i + 128] for i in range(0, 512, 128)]
    for i, chunk in enumerate(chunks):
        line.write(frame(0x08 if i == len(chunks) - 1 else 0x02, chunk))

    match = ask(line, 0x03)  # Match CharBuffer1 with CharBuffer2
    assert match[0] == 0x00
    assert int.from_bytes(match[1:3], "big") >= 50

    assert ask(line, 0x06, 1, 0, 7) == b"\x00"  # Store buffer 1 at page 7
    index = ask(line, 0x1F, 0)  # ReadIndexTable, page 0
    assert index == b"\x00" + b"\x80" + bytes(31)  # page 7 = bit 7 of the first byte
    found = ask(line, 0x04, 2, 0, 0, 0, 200)  # Search buffer 2 over pages 0..199
    assert found[0] == 0x00
    assert int.from_bytes(found[1:3], "big") == 7


def test_bad_checksums_and_strangers_are_treated_as_a_sensor_does(
    sensor_emulator: SensorEmulator, line: serial.Serial
) -> None:
    broken = bytearray(command(0x1D))
    broken[-1] ^= 0xFF
    line.write(bytes(broken))
    assert read_frame(line) == (0x07, b"\x01")  # "error receiving packet"

    line.write(frame(0x01, b"\x1d", address=0x12345678))  # another sensor's address
    line.write(command(0x1D))
    assert read_frame(line) == (0x07, b"\x00\x00\x00")  # only our own packet answered
    assert "packet for another address ignored" in sensor_emulator.traffic


def test_the_adafruit_library_runs_its_whole_api_against_the_emulator(
    sensor_emulator: SensorEmulator,
) -> None:
    with serial.Serial(sensor_emulator.port, 57600, timeout=2) as port:
        finger = adafruit_fingerprint.Adafruit_Fingerprint(port)  # verifies and reads params
        assert finger.library_size == 200
        assert finger.check_module()

        sensor_emulator.present_finger("tono:right_thumb")
        assert finger.get_image() == adafruit_fingerprint.OK
        assert finger.image_2_tz(1) == adafruit_fingerprint.OK
        assert finger.get_image() == adafruit_fingerprint.OK
        assert finger.image_2_tz(2) == adafruit_fingerprint.OK
        assert finger.compare_templates() == adafruit_fingerprint.OK
        assert finger.create_model() == adafruit_fingerprint.OK
        assert finger.store_model(42, 1) == adafruit_fingerprint.OK
        assert finger.count_templates() == adafruit_fingerprint.OK
        assert finger.template_count == 1
        assert finger.read_templates() == adafruit_fingerprint.OK
        assert finger.templates == [42]

        assert finger.get_image() == adafruit_fingerprint.OK
        assert finger.image_2_tz(1) == adafruit_fingerprint.OK
        assert finger.finger_fast_search() == adafruit_fingerprint.OK
        assert finger.finger_id == 42
        assert finger.finger_search() == adafruit_fingerprint.OK
        assert finger.confidence >= 50

        assert finger.load_model(42, 2) == adafruit_fingerprint.OK
        template = finger.get_fpdata("char", 2)
        assert len(template) == 512
        assert finger.send_fpdata(template, "char", 1)
        assert finger.compare_templates() == adafruit_fingerprint.OK

        image = finger.get_fpdata("image")
        assert len(image) == 256 * 288 // 2

        sensor_emulator.lift_finger()
        assert finger.get_image() == adafruit_fingerprint.NOFINGER
        assert finger.set_led(color=3, mode=1) == adafruit_fingerprint.OK
        assert finger.set_sysparam(5, 4) == adafruit_fingerprint.OK
        assert finger.read_sysparam() == adafruit_fingerprint.OK
        assert finger.security_level == 4
        assert finger.delete_model(42) == adafruit_fingerprint.OK
        assert finger.delete_model(500) == adafruit_fingerprint.DELETEFAIL
        assert finger.load_model(42, 1) == adafruit_fingerprint.DBRANGEFAIL
        assert finger.store_model(999, 1) == adafruit_fingerprint.BADLOCATION
        assert finger.empty_library() == adafruit_fingerprint.OK
        finger.soft_reset()  # ack, then the 0x55 handshake byte


# ---- fuzz -------------------------------------------------------------------------

GAP_SECONDS = 0.02  # the emulator drops a partial packet after this much silence

VALID_COMMANDS = [command(0x1D), command(0x0F), command(0x13, 0, 0, 0, 0), command(0x1F, 0)]


@st.composite
def damaged_packets(draw: st.DrawFn) -> bytes:
    packet = bytearray(draw(st.sampled_from(VALID_COMMANDS)))
    how = draw(st.sampled_from(["flip", "truncate", "both"]))
    if how in ("flip", "both"):
        at = draw(st.integers(0, len(packet) - 1))
        packet[at] ^= draw(st.integers(1, 255))
    if how in ("truncate", "both"):
        packet = packet[: draw(st.integers(0, len(packet) - 1))]
    return bytes(packet)


header_with_junk = st.builds(
    lambda length, pid, body: b"\xef\x01\xff\xff\xff\xff" + bytes([pid]) + length + body,
    st.binary(min_size=2, max_size=2),
    st.integers(0, 255),
    st.binary(max_size=40),
)
junk = st.one_of(st.binary(max_size=80), damaged_packets(), header_with_junk)


@pytest.fixture(scope="module")
def fuzz_line() -> Iterator[tuple[SensorEmulator, serial.Serial]]:
    config = EmulatedFingerprintConfig(speed=50, frame_gap_seconds=GAP_SECONDS)
    with (
        SensorEmulator(config) as emulator,
        serial.Serial(emulator.port, 57600, timeout=2) as port,
    ):
        yield emulator, port


@given(noise=st.lists(junk, min_size=1, max_size=2))
def test_garbage_never_breaks_the_emulator(
    fuzz_line: tuple[SensorEmulator, serial.Serial], noise: list[bytes]
) -> None:
    emulator, line = fuzz_line
    line.reset_input_buffer()
    for piece in noise:
        line.write(piece)
        time.sleep(GAP_SECONDS * 2.5)  # a pause the sensor must treat as "packet over"

    # Whatever answered the garbage was an error reply; then a real command works.
    # (A starved emulator thread may glue garbage to the probe: then probe again.)
    for _attempt in range(5):
        if probe_is_answered(line):
            break
    else:
        pytest.fail("the emulator stopped answering after garbage")
    assert emulator.connected


def probe_is_answered(line: serial.Serial) -> bool:
    """Send TempleteNum; True once its reply comes. Replies before it must be errors."""
    line.write(command(0x1D))
    while (packet := read_frame_or_silence(line)) is not None:
        packet_id, reply = packet
        assert packet_id == 0x07
        if len(reply) == 3:
            assert reply == b"\x00\x00\x00"
            return True
        assert reply != b"\x00", "garbage must never be acknowledged as OK"
    return False  # silence: the probe was swallowed with the garbage
