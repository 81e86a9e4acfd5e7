"""Operator training on emulated devices: a practice session runs the whole capture
flow, is scored, and leaves nothing in the outbox, the queue or the check-ins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from booth_fixtures import BoothSetup, booth_setup, resident_kk, resident_nik

from hardware.errors import CaptureError
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import load_booth_config
from kiosk.flow.capture import CaptureStep
from kiosk.flow.ports import CheckIn, InMemoryTicketDesk
from kiosk.headless import HeadlessRunner, signature_png
from kiosk.outbox.store import Outbox, SendableKind
from kiosk.script import EnrollmentScript, ScriptResident
from kiosk.training.score import summarize
from kiosk.training.session import is_practice_nik
from kiosk.training.store import TrainingResultStore

__all__ = ["booth_setup"]
PIN = "135790"


@pytest.fixture
def queue() -> InMemoryTicketDesk:
    """The office queue, with one real resident already waiting for a booth."""
    desk = InMemoryTicketDesk()
    desk.issue(
        CheckIn(
            service="new_recording",
            nik=resident_nik(7),
            kk=resident_kk(8),
            name="Warga Sungguhan",
            kelurahan="Gunung Tabur",
            in_roster=True,
            documents=("kk",),
        )
    )
    return desk


@pytest.fixture
def booth(
    booth_setup: BoothSetup, queue: InMemoryTicketDesk, smartcard_pcscd: object
) -> Iterator[Booth]:
    built = build_booth(load_booth_config(booth_setup.config_path), tickets=queue)
    built.follow_card_events(built.run_locked)
    try:
        yield built
    finally:
        built.close()


def practice_script() -> EnrollmentScript:
    return EnrollmentScript.model_validate(
        {
            "mode": "training",
            "operator": {"operator_id": "OP-0042", "name": "Rina Trainee", "pin": PIN},
            "residents": [
                {"nik": resident_nik(1), "kk": resident_kk(2), "name": "ignored"},
                {
                    "nik": resident_nik(3),
                    "kk": resident_kk(4),
                    "name": "ignored",
                    "finger_exceptions": {"left_little": "bandaged"},
                },
            ],
        }
    )


def practise_with_a_fumble(runner: HeadlessRunner, resident: ScriptResident) -> None:
    """A practice resident whose first finger the trainee gets wrong once."""
    flow = runner.flow
    ticket = flow.call_next()
    assert ticket is not None
    flow.confirm_documents(set(ticket.checkin.documents))
    runner.show_resident(ticket.checkin.nik)
    photo = flow.take_photo()
    if not photo.ok:
        flow.accept_photo_anyway("practice")
    assert flow.enrollment is not None
    finger = flow.enrollment.fingers.current
    emulator = runner.sensor.emulator
    wrong_second = emulator.resident_following_prompts(f"x/{finger}", 90, second="x/other")
    with pytest.raises(CaptureError):
        flow.capture_finger(wrong_second)
    emulator.lift_finger()
    runner.capture_fingers(resident)
    flow.submit_signature(signature_png(ticket.checkin.nik))
    flow.seal()


def test_practice_leaves_no_trace_and_is_scored(
    booth: Booth, queue: InMemoryTicketDesk, booth_setup: BoothSetup
) -> None:
    audit_before = sum(1 for _ in booth.audit.entries())
    script = practice_script()
    runner = HeadlessRunner(booth, script)
    runner.log_in()
    runner.start_training()
    first = runner.enroll(script.residents[0])
    practise_with_a_fumble(runner, script.residents[1])
    assert booth.training is not None
    result = booth.training.finish()

    # Nothing real was touched: no sealed packet, the real resident still waits,
    # no check-in and no recording in the booth's own log.
    assert booth.outbox.depth() == 0
    assert list(booth.outbox.unacked()) == []
    assert queue.waiting == 1
    new_events = [e.event for e in booth.audit.entries()][audit_before:]
    assert not [e for e in new_events if e.startswith(("checkin.", "session.saved"))]
    assert "training.started" in new_events
    assert "training.finished" in new_events
    assert booth.capture.step is CaptureStep.LOCKED  # the recording flow stayed shut
    assert first.ticket == "L-001"
    assert first.packet_id.startswith("latihan-")

    assert result is not None
    assert result.operator_id == "OP-0042"
    assert len(result.residents) == 2
    assert all(r.completed for r in result.residents)
    clean, smudged = result.residents
    steps = {s.step: s for s in clean.steps}
    assert {"documents", "photo", "signature", "review"} <= steps.keys()
    assert steps["photo"].quality is not None
    assert steps["photo"].quality > 0
    fingers = [s for s in clean.steps if s.step.startswith("finger:")]
    assert fingers
    assert all(s.quality and s.quality >= 40 and s.retries == 0 for s in fingers)
    assert all(s.seconds >= 0 for s in clean.steps)
    smudged_fingers = {s.step: s for s in smudged.steps if s.step.startswith("finger:")}
    assert smudged_fingers["finger:left_little"].quality is None  # marked bandaged
    assert sum(s.retries for s in smudged_fingers.values()) > 0
    summary = summarize(result)
    assert summary.residents_completed == 2
    assert summary.retries > 0
    assert 0 < result.score < 100

    # Kept in the booth's history, and for the edge (no edge here: still waiting) as a
    # message in the outbox — never as a sealed packet.
    booth.close()
    store = TrainingResultStore.in_data_dir(booth_setup.data_dir)
    try:
        assert [r.result_id for r in store.results()] == [result.result_id]
    finally:
        store.close()
    with Outbox(booth_setup.data_dir / "outbox.sqlite") as outbox:
        assert outbox.depth() == 0
        (waiting,) = outbox.sendables.pending_sendables()
        assert waiting.sendable.kind is SendableKind.TRAINING_RESULT
        assert waiting.sendable.record_id == str(result.result_id)


def test_practice_residents_are_fictitious() -> None:
    from kiosk.training.session import practice_residents  # noqa: PLC0415

    residents = practice_residents()
    assert residents
    assert all(is_practice_nik(r.nik) for r in residents)
    assert all(r.name.startswith("LATIHAN ") for r in residents)
    assert not is_practice_nik(resident_nik(1))
