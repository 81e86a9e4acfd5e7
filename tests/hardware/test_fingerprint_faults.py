"""Sensor faults give a typed error with a plain sentence, never a hang, and heal.

pytest-timeout bounds every test here: a call that hung would fail it.
"""

from __future__ import annotations

import pytest

from hardware.errors import (
    CaptureError,
    DeviceError,
    DeviceProtocolError,
    DeviceTimeout,
    DeviceUnavailable,
)
from hardware.fingerprint import (
    EmulatedFingerprintConfig,
    FingerTimeout,
    RealFingerprintConfig,
    open_fingerprint,
)
from hardware.fingerprint.adafruit_backend import AdafruitFingerprintSensor
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from hardware.fingerprint.emulator import SensorEmulator

pytest_plugins = ["fingerprint_fixtures"]
pytestmark = pytest.mark.timeout(60)


def test_a_silent_sensor_times_out_and_works_again_when_it_answers(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    assert fingerprint_sensor.template_count() == 0
    fingerprint_sensor.emulator.inject_fault("no_answer")

    with pytest.raises(DeviceTimeout, match="did not answer within 2 s"):
        fingerprint_sensor.template_count()
    result = fingerprint_sensor.self_test()
    assert not result.ok
    assert "did not answer" in result.detail

    fingerprint_sensor.emulator.clear_faults()
    assert fingerprint_sensor.template_count() == 0


def test_a_corrupted_reply_is_refused_and_the_next_one_accepted(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    fingerprint_sensor.emulator.inject_fault("bad_checksum")
    with pytest.raises(DeviceProtocolError, match="bad checksum"):
        fingerprint_sensor.template_count()
    fingerprint_sensor.emulator.clear_faults()
    assert fingerprint_sensor.self_test().ok


def test_a_corrupted_template_transfer_does_not_poison_the_next_command(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    template = fingerprint_sensor.enroll_finger(
        emulator.resident_following_prompts("rina:right_thumb")
    ).template
    fingerprint_sensor.store(template, 4)
    emulator.inject_fault("bad_checksum")
    with pytest.raises(DeviceProtocolError):
        fingerprint_sensor.load(4)  # the upload's data packets follow the bad ack
    emulator.clear_faults()
    assert fingerprint_sensor.load(4) == template


def test_a_messy_image_is_a_capture_error_with_advice(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    emulator.present_finger("yuni:left_thumb")
    emulator.inject_fault("image_messy")
    with pytest.raises(CaptureError, match="too messy; wipe the finger"):
        fingerprint_sensor.capture_impression(1, timeout=10)
    emulator.clear_faults()
    fingerprint_sensor.capture_impression(1, timeout=10)


def test_a_smudged_finger_gives_a_messy_image(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    fingerprint_sensor.emulator.present_finger("yuni:left_index", quality=10)
    with pytest.raises(CaptureError, match="too messy"):
        fingerprint_sensor.enroll_finger(timeout=10)


def test_nobody_placing_a_finger_is_a_finger_timeout(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    with pytest.raises(FingerTimeout, match=r"No finger was placed within 0\.3 s") as raised:
        fingerprint_sensor.wait_for_finger(timeout=0.3)
    assert isinstance(raised.value, DeviceTimeout)  # a kiosk may treat both alike


def test_a_finger_left_on_the_glass_is_a_finger_timeout(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    fingerprint_sensor.emulator.present_finger("yuni:left_index")
    with pytest.raises(FingerTimeout, match="not lifted"):
        fingerprint_sensor.wait_for_lift(timeout=0.3)


def test_a_sensor_unplugged_mid_enrollment_is_reported_and_the_session_continues(
    fingerprint_sensor: EmulatedFingerprintSensor,
) -> None:
    emulator = fingerprint_sensor.emulator
    first = fingerprint_sensor.enroll_finger(emulator.resident_following_prompts("ani:thumb"))
    emulator.lift_finger()

    resident = emulator.resident_following_prompts("ani:index")

    def unplug_at_lift(step: str) -> None:
        resident(step)
        if step == "lift":
            emulator.inject_fault("disconnect")

    with pytest.raises((DeviceUnavailable, DeviceTimeout)) as raised:
        fingerprint_sensor.enroll_finger(unplug_at_lift, timeout=10)
    assert "fingerprint sensor" in str(raised.value)
    assert not fingerprint_sensor.self_test().ok
    with pytest.raises(DeviceUnavailable, match="not connected"):
        fingerprint_sensor.template_count()

    emulator.reconnect()
    second = fingerprint_sensor.enroll_finger(emulator.resident_following_prompts("ani:index"))
    assert fingerprint_sensor.self_test().ok
    # what was captured before the outage is still good against the sensor after it
    emulator.present_finger("ani:thumb", quality=85)
    assert fingerprint_sensor.is_match(
        fingerprint_sensor.compare(first.template, fingerprint_sensor.capture_template(10))
    )
    assert fingerprint_sensor.compare(first.template, second.template) == 0


def test_a_wrong_password_is_named_in_the_self_test() -> None:
    with SensorEmulator(EmulatedFingerprintConfig(password=0x1234, speed=20)) as emulator:
        sensor = AdafruitFingerprintSensor(RealFingerprintConfig(port=emulator.port, password=0))
        with sensor:
            result = sensor.self_test()
            assert not result.ok
            assert result.detail == "The fingerprint sensor refused the configured password."
            with pytest.raises(DeviceUnavailable, match="password"):
                sensor.template_count()
        right = AdafruitFingerprintSensor(
            RealFingerprintConfig(port=emulator.port, password=0x1234)
        )
        with right:
            assert right.self_test().ok


def test_a_missing_serial_port_is_unavailable_not_a_crash(tmp_path) -> None:
    sensor = open_fingerprint(RealFingerprintConfig(port=str(tmp_path / "ttyNOPE"), timeout=0.5))
    with sensor:
        result = sensor.self_test()
        assert not result.ok
        assert "not connected" in result.detail
        assert "ttyNOPE" in result.detail
        with pytest.raises(DeviceUnavailable):
            sensor.enroll_finger(timeout=1)


def test_a_closed_sensor_refuses_calls(fingerprint_sensor: EmulatedFingerprintSensor) -> None:
    fingerprint_sensor.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        fingerprint_sensor.template_count()


@pytest.mark.parametrize("fault", ["no_answer", "bad_checksum", "image_messy", "disconnect"])
def test_every_fault_during_a_capture_is_a_device_error_with_a_sentence(
    fingerprint_sensor: EmulatedFingerprintSensor, fault: str
) -> None:
    emulator = fingerprint_sensor.emulator
    fingerprint_sensor.self_test()  # connected before the fault strikes
    emulator.present_finger("eko:right_ring")
    emulator.inject_fault(fault)  # type: ignore[arg-type]
    with pytest.raises(DeviceError) as raised:
        fingerprint_sensor.capture_impression(1, timeout=5)
    message = str(raised.value)
    assert message[0].isupper()
    assert message.endswith(".")
    assert raised.value.device == "fingerprint"
    emulator.clear_faults()
    fingerprint_sensor.capture_impression(1, timeout=5)
