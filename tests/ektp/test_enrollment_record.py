"""The enrollment record's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from ektp_samples import WITA, make_record
from pydantic import ValidationError as SchemaError

from ektp.record import (
    FINGER_ORDER,
    EnrollmentRecord,
    Finger,
    FingerCapture,
    FingerException,
    FingerExceptionReason,
    PhotoQuality,
    QualityScores,
    ReviewFlag,
    finger_name,
    flag_name,
)


def test_fingers_in_fixed_order_right_thumb_first() -> None:
    assert FINGER_ORDER[0] is Finger.RIGHT_THUMB
    assert FINGER_ORDER[-1] is Finger.LEFT_LITTLE
    assert len(FINGER_ORDER) == 10
    assert finger_name(Finger.LEFT_LITTLE, "id") == "Kelingking kiri"


def test_record_round_trips_through_json() -> None:
    record = make_record()
    again = EnrollmentRecord.model_validate_json(record.model_dump_json())
    assert again == record
    assert again.v == 1
    assert not again.needs_review


def test_bandaged_finger_needs_a_reason_and_a_flag() -> None:
    bandaged = FingerCapture(
        finger=Finger.LEFT_RING,
        exception=FingerException(reason=FingerExceptionReason.BANDAGED, note="luka"),
    )
    quality = QualityScores(fingers=(bandaged,))
    with pytest.raises(SchemaError, match="finger_exception"):
        make_record(quality=quality)
    record = make_record(quality=quality, flags=(ReviewFlag.FINGER_EXCEPTION,))
    assert record.needs_review
    assert flag_name(ReviewFlag.FINGER_EXCEPTION, "id") == "Pengecualian sidik jari"


def test_photo_override_must_be_flagged() -> None:
    photo = PhotoQuality(background="red", failed_checks=("sharpness",), override_reason="ok")
    with pytest.raises(SchemaError, match="photo_override"):
        make_record(quality=QualityScores(photo=photo))


@pytest.mark.parametrize(
    "capture",
    [
        {"finger": "right_thumb"},  # neither quality nor exception
        {"finger": "right_thumb", "quality": 50, "exception": {"reason": "missing"}},
        {"finger": "right_thumb", "quality": 101},
        {"finger": "sixth_finger", "quality": 50},
    ],
)
def test_bad_finger_entries_are_refused(capture: dict[str, object]) -> None:
    with pytest.raises(SchemaError):
        FingerCapture.model_validate(capture)


@pytest.mark.parametrize(
    "changes",
    [
        {"nik": "640306540290001"},
        {"booth_id": "booth/01"},
        {"captured_at": dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA)},  # before the start
        {"capture_started_at": dt.datetime(2026, 3, 10, 9, 0)},  # naive time
        {"flags": ("not_in_roster", "not_in_roster")},
        {"operator_pin": "1234"},  # unknown field
    ],
)
def test_bad_records_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(SchemaError):
        make_record(**changes)
