"""Sample records and biometric parts for the ektp tests (imported by conftest and tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from ektp.errors import ValidationError
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import (
    FINGER_ORDER,
    EnrollmentRecord,
    FingerCapture,
    PhotoQuality,
    QualityScores,
)
from ektp.services import Document, ServiceType

TODAY = dt.date(2026, 3, 10)
BOOTH_ID = "booth-01"
T = TypeVar("T")
E = TypeVar("E", bound=ValidationError)
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")  # Berau is on WITA (UTC+8)


def make_record(**changes: object) -> EnrollmentRecord:
    started = dt.datetime(2026, 3, 10, 9, 15, tzinfo=WITA)
    fields: dict[str, object] = {
        "nik": "6403065402900001",
        "kk": "6403060101100003",
        "name": "Siti Aminah",
        "kelurahan": "Sambakungan",
        "service": ServiceType.NEW_RECORDING,
        "operator_id": "op-0001",
        "booth_id": BOOTH_ID,
        "ticket": "A012",
        "documents_checked": (Document.KK,),
        "checked_in_at": started - dt.timedelta(minutes=40),
        "capture_started_at": started,
        "captured_at": started + dt.timedelta(minutes=9),
        "quality": QualityScores(
            photo=PhotoQuality(background="blue", scores={"sharpness": 412.5}),
            fingers=tuple(
                FingerCapture(finger=finger, quality=80, match_score=120) for finger in FINGER_ORDER
            ),
            signature_captured=True,
        ),
    }
    fields.update(changes)
    return EnrollmentRecord.model_validate(fields)


def make_biometrics() -> dict[str, bytes]:
    parts = {
        PHOTO_PART: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2 + b"\xff\xd9",
        SIGNATURE_PART: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    }
    for number, finger in enumerate(FINGER_ORDER):
        parts[template_part(finger)] = bytes([number]) * 96
    return parts


def outcome(parse: Callable[..., T], text: str, **kwargs: Any) -> T | ValidationError:
    """The parsed value, or the ValidationError it raised (any other exception escapes)."""
    try:
        return parse(text, **kwargs)
    except ValidationError as err:
        return err


def refusal(error: type[E], call: Callable[..., object], *args: Any, **kwargs: Any) -> E:
    """The ``error`` that ``call(*args, **kwargs)`` raises (the test fails if it raises none)."""
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    return caught.value
