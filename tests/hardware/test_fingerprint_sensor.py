"""The fingerprint device API, with the real adafruit_fingerprint driving the emulator."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from hardware.errors import CaptureError, DeviceProtocolError
from hardware.fingerprint import (
    ENROLL_STEPS,
    EmulatedFingerprintConfig,
    FingerprintConfig,
    FingerprintSensor,
    RealFingerprintConfig,
    open_fingerprint,
)
from hardware.fingerprint.adafruit_backend import AdafruitFingerprintSensor
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor

pytest_plugins = ["fingerprint_fixtures"]


def enroll(sensor: EmulatedFingerprintSensor, identity: str, quality: int = 90) -> bytes:
    return sensor.enroll_finger(
        sensor.emulator.resident_following_prompts(identity, quality)
    ).template


def test_enrollment_walks_through_the_steps_and_returns_a_good_template(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    steps: list[str] = []
    on_step = fingerprint_sensor.emulator.resident_following_prompts("siti:right_thumb")

    def record(step: str) -> None:
        steps.append(step)
        on_step(step)

    enrolled = fingerprint_sensor.enroll_finger(record, timeout=10)

    assert steps == list(ENROLL_STEPS)
    assert len(enrolled.template) == 512
    assert 80 <= enrolled.quality <= 100
    assert "template" not in repr(enrolled)  # no biometric bytes in a log line


def test_a_poorer_finger_enrolls_with_a_lower_quality(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    clean = fingerprint_sensor.enroll_finger(
        emulator.resident_following_prompts("budi:left_index", 95)
    )
    emulator.lift_finger()
    worn = fingerprint_sensor.enroll_finger(
        emulator.resident_following_prompts("budi:left_thumb", 55)
    )
    assert worn.quality < clean.quality


def test_the_same_finger_matches_and_another_finger_does_not(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    enrolled = enroll(fingerprint_sensor, "siti:right_index")
    emulator.present_finger("siti:right_index", quality=75)
    again = fingerprint_sensor.capture_template(timeout=10)
    emulator.present_finger("siti:left_index", quality=90)
    other = fingerprint_sensor.capture_template(timeout=10)

    same_score = fingerprint_sensor.compare(enrolled, again)
    other_score = fingerprint_sensor.compare(enrolled, other)

    assert fingerprint_sensor.is_match(same_score)
    assert other_score == 0
    assert not fingerprint_sensor.is_match(other_score)


def test_two_different_fingers_cannot_be_enrolled_as_one(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    on_step = fingerprint_sensor.emulator.resident_following_prompts(
        "agus:right_thumb", second="agus:right_index"
    )
    with pytest.raises(CaptureError, match="do not match"):
        fingerprint_sensor.enroll_finger(on_step, timeout=10)


def test_a_stored_template_is_found_by_a_search_and_counted(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    siti = enroll(fingerprint_sensor, "siti:right_thumb")
    emulator.lift_finger()
    budi = enroll(fingerprint_sensor, "budi:right_thumb")
    emulator.lift_finger()
    assert fingerprint_sensor.template_count() == 0

    fingerprint_sensor.store(siti, 3)
    fingerprint_sensor.store(budi, 12)

    assert fingerprint_sensor.template_count() == 2
    assert fingerprint_sensor.stored_locations() == [3, 12]
    emulator.present_finger("budi:right_thumb", quality=80)
    probe = fingerprint_sensor.capture_template(timeout=10)
    assert fingerprint_sensor.search_library(probe) == 12
    emulator.present_finger("dewi:right_thumb")
    stranger = fingerprint_sensor.capture_template(timeout=10)
    assert fingerprint_sensor.search_library(stranger) is None

    fingerprint_sensor.delete(12)
    assert fingerprint_sensor.search_library(probe) is None
    fingerprint_sensor.clear_library()
    assert fingerprint_sensor.template_count() == 0


def test_a_template_survives_the_round_trip_to_the_sensor_and_back(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    template = enroll(fingerprint_sensor, "wayan:left_thumb")
    fingerprint_sensor.store(template, 5)  # host -> char buffer -> flash
    assert fingerprint_sensor.emulator.stored_locations() == [5]
    assert fingerprint_sensor.load(5) == template  # flash -> char buffer -> host


def test_loading_an_empty_location_says_so(fingerprint_sensor: EmulatedFingerprintSensor) -> None:
    with pytest.raises(DeviceProtocolError, match="no template at that location"):
        fingerprint_sensor.load(9)


def test_store_refuses_a_location_outside_the_library(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    template = enroll(fingerprint_sensor, "wayan:left_index")
    with pytest.raises(ValueError, match="between 0 and 199"):
        fingerprint_sensor.store(template, 200)


def test_self_test_reports_the_sensor_parameters(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    result = fingerprint_sensor.self_test()
    assert result.ok
    assert result.device == "fingerprint"
    assert "0 of 200 templates" in result.detail
    parameters = fingerprint_sensor.parameters()
    assert parameters["library_size"] == 200
    assert parameters["data_packet_size"] == 128
    assert parameters["baudrate"] == 57600
    assert parameters["device_address"] == "FFFFFFFF"


def test_the_ring_light_follows_the_booth(fingerprint_sensor: EmulatedFingerprintSensor) -> None:
    assert fingerprint_sensor.set_led("blue", "breathe")
    led = fingerprint_sensor.emulator.led
    assert (led.color, led.mode) == (2, 1)
    assert fingerprint_sensor.set_led("red", "off")
    assert fingerprint_sensor.emulator.led.mode == 4


def test_the_traffic_log_names_instructions_and_never_holds_template_bytes(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    template = enroll(fingerprint_sensor, "siti:right_little")
    fingerprint_sensor.store(template, 1)
    traffic = fingerprint_sensor.emulator.traffic
    assert "GET_IMAGE -> OK" in traffic
    assert "CREATE_MODEL -> OK" in traffic
    assert "UPLOAD_TEMPLATE -> OK" in traffic
    logged = "\n".join(traffic)
    assert template.hex() not in logged
    assert template[4:20].hex() not in logged.replace(" ", "")
    assert all(entry.isascii() and entry.isprintable() for entry in traffic)


def test_config_picks_the_backend_by_name() -> None:
    adapter: TypeAdapter[RealFingerprintConfig | EmulatedFingerprintConfig] = TypeAdapter(
        FingerprintConfig
    )
    real = adapter.validate_python({"backend": "real", "port": "/dev/ttyUSB0"})
    emulated = adapter.validate_python({"backend": "emulated", "speed": 5})
    assert isinstance(real, RealFingerprintConfig)
    assert real.baudrate == 57600
    assert isinstance(emulated, EmulatedFingerprintConfig)
    with pytest.raises(ValidationError):
        adapter.validate_python({"backend": "real", "port": "/dev/ttyUSB0", "colour": "red"})
    with pytest.raises(ValidationError):
        adapter.validate_python({"backend": "emulated", "packet_size": 100})

    real_sensor = open_fingerprint(real)
    emulated_sensor = open_fingerprint(emulated)
    try:
        assert type(real_sensor) is AdafruitFingerprintSensor
        assert isinstance(emulated_sensor, EmulatedFingerprintSensor)
        assert isinstance(emulated_sensor, FingerprintSensor)
        assert emulated_sensor.self_test().ok
    finally:
        real_sensor.close()
        emulated_sensor.close()
        emulated_sensor.close()  # idempotent
