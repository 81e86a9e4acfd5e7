"""Issue 16, item 5: the booth's LEDs and buzzer follow the booth flow, read on gpiozero's
MockFactory pins of a booth built by ``build_booth`` (emulated devices, the real flows).

Green steady = ready, blinking = saved; red = a device fault or a power warning; a short
beep for each capture step done, a long one for a step that failed; the call button
chimes (its event at the edge: tests/edge_controller/test_operator_call.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from booth_fixtures import resident_kk, resident_nik, running_booth, write_booth_config

from ektp.messages import PowerMessage, encode_message
from ektp.topics import OFFICE_POWER
from hardware.errors import CaptureError
from hardware.gpio import EmulatedBoothGpio
from kiosk.booth import Booth
from kiosk.flow.capture import CaptureStep
from kiosk.headless import HeadlessRunner
from kiosk.script import EnrollmentScript
from kiosk.signals import BoothSignals
from tests.edge_controller.broker_fixtures import (
    EDGE_IDENTITY,
    Office,
    running_office,
    wait_for,
)

LONG_BEEP_S = 0.6
SIGNALS = (
    "[office]\n"
    'fingers = "index_only"\n'
    "[signals]\n"
    "saved_blink_s = 1.5\n"
    "poll_s = 0.05\n"
    "device_check_s = 0.5\n"
    f"long_beep_s = {LONG_BEEP_S}\n"
    "[hardware.gpio]\n"
    'backend = "emulated"\n'
)
WAIT_S = 30.0


def script(*serials: int) -> EnrollmentScript:
    return EnrollmentScript.model_validate(
        {
            "operator": {"operator_id": "OP-0007", "name": "Siti Rahma", "pin": "135790"},
            "residents": [
                {"nik": resident_nik(s), "kk": resident_kk(s), "name": f"Warga {s}"}
                for s in serials
            ],
        }
    )


def gpio_of(booth: Booth) -> EmulatedBoothGpio:
    assert booth.signals is not None
    assert isinstance(booth.signals.gpio, EmulatedBoothGpio)
    return booth.signals.gpio


def signals_of(booth: Booth) -> BoothSignals:
    assert booth.signals is not None
    return booth.signals


def level(booth: Booth, signal: str) -> bool:
    """The pin's level now, as a multimeter on the header would read it."""
    return bool(gpio_of(booth).mock_pin(signal).state)


def steady(booth: Booth, signal: str, lit: bool) -> bool:
    """The LED is lit (or dark) and told to stay so (not in the middle of a blink)."""
    colour = signal.removesuffix("_led")
    mode = gpio_of(booth).led_modes()[colour]
    return level(booth, signal) is lit and mode == ("on" if lit else "off")


def blinking(booth: Booth, signal: str, since: int) -> bool:
    """The pin went up and down at least twice after history entry ``since``."""
    levels = [bool(s.state) for s in gpio_of(booth).mock_pin(signal).states[since:]]
    changes = sum(1 for a, b in itertools.pairwise(levels) if a != b)
    return changes >= 3


def pulses(booth: Booth, since: int = 0) -> list[float]:
    """How long the buzzer pin stayed high each time it went high, oldest first.

    (A MockPin stamps each change with the seconds since the change before it.)
    """
    states = gpio_of(booth).mock_pin("buzzer").states[since:]
    return [state.timestamp for state in states[1:] if not state.state]


def is_long(length: float) -> bool:
    """A long beep lasts at least ``LONG_BEEP_S``; a short one (0.08 s) is far below half."""
    return length >= LONG_BEEP_S / 2


def history_length(booth: Booth, signal: str) -> int:
    return len(gpio_of(booth).mock_pin(signal).states)


def quiet(booth: Booth) -> None:
    assert signals_of(booth).wait_until_quiet(WAIT_S), "the buzzer never fell silent"


@pytest.fixture
def booth_alone(tmp_path: Path, smartcard_pcscd: object) -> Iterator[Booth]:
    with running_booth(write_booth_config(tmp_path / "booth", extra=SIGNALS)) as booth:
        yield booth


def test_a_scripted_enrollment_lights_and_beeps_as_it_goes(booth_alone: Booth) -> None:
    booth = booth_alone
    assert steady(booth, "green_led", lit=False)  # nobody logged in: no session can start
    assert steady(booth, "red_led", lit=False)

    runner = HeadlessRunner(booth, script(11))
    runner.booth.follow_card_events(booth.run_locked)
    runner.log_in()
    assert wait_for(lambda: steady(booth, "green_led", lit=True), WAIT_S)  # ready
    mark = history_length(booth, "green_led")
    (resident,) = [runner.enroll(r) for r in runner.script.residents]

    assert booth.capture.step is CaptureStep.SAVED
    assert wait_for(lambda: blinking(booth, "green_led", mark), WAIT_S)  # saved
    assert wait_for(lambda: steady(booth, "green_led", lit=True), WAIT_S)  # ready again
    assert steady(booth, "red_led", lit=False)

    quiet(booth)
    assert resident.finger_tries == resident.fingers_captured == 2
    beeps = pulses(booth)
    # the photo, two index fingers, the signature: four short beeps, no long one
    assert len(beeps) == 4
    assert not any(is_long(length) for length in beeps)


def test_a_failed_step_beeps_long_and_a_broken_sensor_lights_red(booth_alone: Booth) -> None:
    booth = booth_alone
    runner = HeadlessRunner(booth, script(12))
    booth.follow_card_events(booth.run_locked)
    runner.log_in()
    (resident,) = runner.script.residents
    runner.check_in(resident)
    flow = booth.capture
    ticket = flow.call_next()
    assert ticket is not None
    flow.confirm_documents(set(ticket.checkin.documents))
    runner.show_resident(resident)
    assert flow.take_photo().ok
    quiet(booth)
    mark = len(gpio_of(booth).mock_pin("buzzer").states)
    assert steady(booth, "green_led", lit=False)  # a session is open: not ready

    emulator = runner.sensor.emulator
    on_step = emulator.resident_following_prompts("left-index", second="left-middle")
    with pytest.raises(CaptureError):  # another finger the second time: place it again
        flow.capture_finger(on_step)
    emulator.lift_finger()
    quiet(booth)
    (failed,) = pulses(booth, mark)
    assert is_long(failed)

    emulator.inject_fault("disconnect")  # the sensor's cable comes loose
    assert wait_for(lambda: steady(booth, "red_led", lit=True), WAIT_S)
    assert signals_of(booth).faults == ("fingerprint",)
    emulator.clear_faults()
    assert wait_for(lambda: steady(booth, "red_led", lit=False), WAIT_S)


def test_capture_beeps_can_be_muted(tmp_path: Path, smartcard_pcscd: object) -> None:
    muted = SIGNALS.replace("[signals]\n", "[signals]\ncapture_beeps = false\n")
    with running_booth(write_booth_config(tmp_path / "booth", extra=muted)) as booth:
        runner = HeadlessRunner(booth, script(13))
        runner.run()
        assert booth.capture.step is CaptureStep.SAVED
        quiet(booth)
        assert pulses(booth) == []
        gpio_of(booth).press_call_button()  # the resident's call is still answered
        quiet(booth)
        assert len(pulses(booth)) == 2  # the two-tone chime


# -- a power warning, from the office broker ----------------------------------------------


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


@pytest.fixture
def booth_in_office(office: Office, tmp_path: Path, smartcard_pcscd: object) -> Iterator[Booth]:
    edge = office.booth_toml("booth-01", health_interval_seconds=1.0)
    with running_booth(write_booth_config(tmp_path / "booth", extra=SIGNALS + edge)) as booth:
        yield booth


def power(state: str, **fields: Any) -> bytes:
    message = PowerMessage(state=state, at=dt.datetime.now(dt.UTC), **fields)  # type: ignore[arg-type]
    return encode_message(message)


def test_a_power_warning_lights_red_until_the_mains_are_back(
    office: Office, booth_in_office: Booth
) -> None:
    booth = booth_in_office
    runner = HeadlessRunner(booth, script(14))
    booth.follow_card_events(booth.run_locked)
    runner.log_in()
    assert wait_for(lambda: steady(booth, "green_led", lit=True), WAIT_S)
    edge = office.client(EDGE_IDENTITY)

    edge.publish_and_wait(OFFICE_POWER, power("ON_BATTERY", runtime_left_s=3000), retain=True)
    assert wait_for(lambda: steady(booth, "red_led", lit=True), WAIT_S)
    assert steady(booth, "green_led", lit=True)  # enough battery: a session may still start

    short = power("ON_BATTERY", runtime_left_s=120, new_captures_allowed=False)
    edge.publish_and_wait(OFFICE_POWER, short, retain=True)
    assert wait_for(lambda: steady(booth, "green_led", lit=False), WAIT_S)  # no new session
    assert steady(booth, "red_led", lit=True)

    edge.publish_and_wait(OFFICE_POWER, power("MAINS"), retain=True)
    assert wait_for(lambda: steady(booth, "red_led", lit=False), WAIT_S)
    assert steady(booth, "green_led", lit=True)
