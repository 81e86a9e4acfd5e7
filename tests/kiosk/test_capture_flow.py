"""The operator's capture flow on a real booth with emulated devices: what an operator sees
when the PIN is wrong, the booth idles, the sensor drops out, or a finger is offered twice."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from booth_fixtures import BoothSetup, booth_setup, emulated_booth, resident_kk, resident_nik

from hardware.camera.scenes import portrait_frame
from hardware.errors import DeviceError, PinBlocked, PinError
from hardware.smartcard import OperatorCard
from kiosk.booth import Booth
from kiosk.flow.capture import CaptureStep
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import RosterEntry
from kiosk.headless import HeadlessRunner, signature_png
from kiosk.script import EnrollmentScript, ScriptResident

PIN = "482910"


def script() -> EnrollmentScript:
    return EnrollmentScript.model_validate(
        {
            "operator": {"operator_id": "OP-0042", "name": "Rina", "pin": PIN},
            "residents": [{"nik": resident_nik(11), "kk": resident_kk(12), "name": "Sari Dewi"}],
        }
    )


def wait_for_step(booth: Booth, step: CaptureStep) -> None:
    deadline = time.monotonic() + 15
    while booth.capture.step is not step and time.monotonic() < deadline:
        time.sleep(0.02)
    assert booth.capture.step is step


def log_in(booth: Booth) -> HeadlessRunner:
    runner = HeadlessRunner(booth, script())
    booth.reader.insert_card(OperatorCard("OP-0042", "Rina", PIN))  # type: ignore[attr-defined]
    wait_for_step(booth, CaptureStep.PIN)
    booth.capture.enter_pin(PIN)
    return runner


def called_to_photo(booth: Booth) -> tuple[HeadlessRunner, ScriptResident]:
    """The operator logged in, the resident checked in, called, their documents checked."""
    runner = log_in(booth)
    resident = runner.script.residents[0]
    runner.check_in(resident)
    ticket = booth.capture.call_next()
    assert ticket is not None
    booth.capture.confirm_documents(set(ticket.checkin.documents))
    return runner, resident


def called_to_fingerprints(booth: Booth) -> tuple[HeadlessRunner, ScriptResident]:
    """The operator logged in, the resident checked in, called, and photographed."""
    runner, resident = called_to_photo(booth)
    runner.show_resident(resident)
    assert booth.capture.take_photo().ok
    assert booth.capture.step is CaptureStep.FINGERPRINTS
    return runner, resident


def place(runner: HeadlessRunner, identity: str) -> object:
    return runner.sensor.emulator.resident_following_prompts(identity, 90)


def test_three_wrong_pins_block_the_card_and_nobody_logs_in(emulated_booth: Booth) -> None:
    emulated_booth.reader.insert_card(OperatorCard("OP-0042", "Rina", PIN))  # type: ignore[attr-defined]
    wait_for_step(emulated_booth, CaptureStep.PIN)
    with pytest.raises(PinError) as first:
        emulated_booth.capture.enter_pin("000000")
    assert first.value.tries_left == 2
    with pytest.raises(PinError):
        emulated_booth.capture.enter_pin("111111")
    with pytest.raises(PinBlocked):
        emulated_booth.capture.enter_pin("222222")
    with pytest.raises(PinBlocked):
        emulated_booth.capture.enter_pin(PIN)  # even the right PIN: the card is blocked
    assert emulated_booth.capture.step is CaptureStep.PIN
    assert emulated_booth.capture.operator_id is None
    failures = [e for e in emulated_booth.audit.entries() if e.event == "operator.login_failed"]
    assert len(failures) == 4


def test_idle_lock_parks_the_session_and_the_operator_resumes_it(emulated_booth: Booth) -> None:
    called_to_fingerprints(emulated_booth)
    emulated_booth.capture.idle_lock_seconds = 0.0
    assert emulated_booth.capture.tick()
    assert emulated_booth.capture.step is CaptureStep.LOCKED
    assert emulated_booth.capture.enrollment is not None  # nothing captured is dropped

    emulated_booth.capture.card_inserted()
    emulated_booth.capture.idle_lock_seconds = 300.0
    emulated_booth.capture.enter_pin(PIN)
    assert emulated_booth.capture.step is CaptureStep.FINGERPRINTS
    assert emulated_booth.capture.enrollment.photo_jpeg is not None


def test_removing_the_card_locks_the_booth(emulated_booth: Booth) -> None:
    log_in(emulated_booth)
    emulated_booth.reader.remove_card()  # type: ignore[attr-defined]
    wait_for_step(emulated_booth, CaptureStep.LOCKED)


def test_sensor_lost_mid_session_keeps_captured_fingers(emulated_booth: Booth) -> None:
    runner, resident = called_to_fingerprints(emulated_booth)
    flow = emulated_booth.capture
    assert flow.enrollment is not None
    first = flow.enrollment.fingers.current
    flow.capture_finger(place(runner, f"{resident.nik}/{first}"))  # type: ignore[arg-type]
    runner.sensor.emulator.lift_finger()

    runner.sensor.emulator.inject_fault("disconnect")
    second = flow.enrollment.fingers.current
    with pytest.raises(DeviceError):
        flow.capture_finger(place(runner, f"{resident.nik}/{second}"))  # type: ignore[arg-type]
    assert flow.step is CaptureStep.FINGERPRINTS
    assert first in flow.enrollment.fingers.templates()
    assert flow.enrollment.fingers.results[second].tries == 0  # a dead sensor costs no try

    runner.sensor.emulator.clear_faults()
    runner.sensor.emulator.lift_finger()
    result = flow.capture_finger(place(runner, f"{resident.nik}/{second}"))  # type: ignore[arg-type]
    assert result.finger == second
    assert set(flow.enrollment.fingers.templates()) == {first, second}


def test_the_same_finger_twice_is_refused_then_flagged(emulated_booth: Booth) -> None:
    runner, resident = called_to_fingerprints(emulated_booth)
    flow = emulated_booth.capture
    assert flow.enrollment is not None
    first = flow.enrollment.fingers.current
    same_finger = f"{resident.nik}/{first}"
    flow.capture_finger(place(runner, same_finger))  # type: ignore[arg-type]
    runner.sensor.emulator.lift_finger()
    second = flow.enrollment.fingers.current
    for _ in range(2):
        with pytest.raises(FlowError) as refused:
            flow.capture_finger(place(runner, same_finger))  # type: ignore[arg-type]
        assert refused.value.code == "duplicate_finger"
        assert "captured" in refused.value.localized("en")
        runner.sensor.emulator.lift_finger()
    kept = flow.capture_finger(place(runner, same_finger))  # type: ignore[arg-type]
    assert kept.finger == second
    assert kept.duplicate_of == first
    runner.sensor.emulator.lift_finger()
    runner.capture_fingers(resident)
    flow.submit_signature(signature_png(resident.nik))
    flow.seal()
    assert flow.saved_record is not None
    assert "duplicate_finger_suspected" in flow.saved_record.flags


def test_cancel_drops_the_session_and_stores_nothing(emulated_booth: Booth) -> None:
    called_to_fingerprints(emulated_booth)
    emulated_booth.capture.cancel("resident left")
    assert emulated_booth.capture.step is CaptureStep.READY
    assert emulated_booth.capture.enrollment is None
    assert emulated_booth.outbox.depth() == 0
    assert any(e.event == "session.cancelled" for e in emulated_booth.audit.entries())


def test_no_new_capture_when_power_forbids_it(emulated_booth: Booth) -> None:
    runner = log_in(emulated_booth)
    runner.check_in(runner.script.residents[0])
    emulated_booth.capture.new_capture_allowed = lambda: False
    with pytest.raises(FlowError) as refused:
        emulated_booth.capture.call_next()
    assert refused.value.code == "power"
    assert refused.value.localized("id") != refused.value.localized("en")  # translated


def test_photo_on_the_wrong_background_is_refused_with_the_reason(emulated_booth: Booth) -> None:
    called_to_photo(emulated_booth)
    emulated_booth.camera.show([portrait_frame("white")])  # type: ignore[attr-defined]
    result = emulated_booth.capture.take_photo()
    assert not result.ok
    assert "background_colour" in result.failing
    assert emulated_booth.capture.step is CaptureStep.PHOTO
    emulated_booth.capture.accept_photo_anyway("backdrop torn, supervisor informed")
    assert emulated_booth.capture.step is CaptureStep.FINGERPRINTS


def test_roster_entry_already_recorded_is_not_recorded_twice(emulated_booth: Booth) -> None:
    nik = resident_nik(21)
    emulated_booth.roster.add(  # type: ignore[attr-defined]
        RosterEntry(nik, resident_kk(22), "Tono", "Tasuk", recorded_on=dt.date(2026, 3, 1))
    )
    flow = emulated_booth.checkin
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(nik)
    assert flow.step == "already_recorded"
    assert flow.recorded_entry is not None
    assert flow.recorded_entry.recorded_on == dt.date(2026, 3, 1)
