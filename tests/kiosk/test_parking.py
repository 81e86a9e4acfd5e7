"""Parked sessions: encrypted at rest with a key from the booth's signing key, and
put back into a fresh capture flow for the same operator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.flow.capture import CaptureFlow, CaptureStep
from kiosk.flow.fingers import FingerprintCapture, FingerState
from kiosk.flow.ports import CheckIn, InMemoryTicketDesk, Ticket
from kiosk.flow.session import Enrollment
from kiosk.power.parking import (
    ParkedPhoto,
    ParkedSessionStore,
    ParkingError,
    park_flow,
    resume_parked,
)

NIK = "6403065402900011"
FINGERS = ["right_thumb", "right_index", "right_middle"]


class Enrolled:
    def __init__(self, template: bytes, quality: int) -> None:
        self.template = template
        self.quality = quality


class Sensor:
    """A fake sensor: each capture gives the next template (no hardware here)."""

    def __init__(self) -> None:
        self.count = 0

    def enroll_finger(
        self, on_step: Callable[[str], None] | None = None, timeout: float = 0
    ) -> Enrolled:
        self.count += 1
        return Enrolled(bytes([self.count]) * 512, 80)

    def compare(self, template_a: bytes, template_b: bytes) -> int:
        return 200 if template_a == template_b else 0

    def is_match(self, score: int) -> bool:
        return score >= 50


class Audit:
    def append(self, event: str, **fields: Any) -> None:
        pass


def enrollment(sensor: Sensor) -> Enrollment:
    checkin = CheckIn(
        "new_recording", NIK, "6403061203150021", "Sri Wahyuni", "Gunung Tabur", True, ("kk",)
    )
    fingers = FingerprintCapture(sensor, FINGERS, max_tries=3)
    fingers.capture()
    fingers.mark_exception("bandaged", "right_index")
    return Enrollment(
        ticket=Ticket("A-007", checkin, dt.datetime(2024, 3, 12, 1, 0, tzinfo=dt.UTC)),
        started_at=dt.datetime(2024, 3, 12, 1, 5, tzinfo=dt.UTC),
        fingers=fingers,
        documents_checked=("kk",),
        photo_jpeg=b"\xff\xd8 the photo",
        last_photo=ParkedPhoto(True, b"\xff\xd8 the photo", "red", 0.9, {"face": 0.9}, []),
        flags={"photo_override"},
    )


def flow_for(sensor: Sensor) -> CaptureFlow:
    return CaptureFlow(
        booth_id="booth-01",
        login=None,  # type: ignore[arg-type]  # no login in these tests
        tickets=InMemoryTicketDesk(),
        photo=None,  # type: ignore[arg-type]
        sensor=sensor,
        sealer=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        audit=Audit(),
        fingers=FINGERS,
        required_background=lambda e: "red",
        office_district_code="640306",
    )


def store(path: Path, key: Ed25519PrivateKey, booth_id: str = "booth-01") -> ParkedSessionStore:
    return ParkedSessionStore.in_data_dir(path, signing_key=key, booth_id=booth_id)


def test_park_and_resume_in_a_fresh_flow(tmp_path: Path) -> None:
    key, sensor = Ed25519PrivateKey.generate(), Sensor()
    flow = flow_for(sensor)
    flow.enrollment = enrollment(sensor)
    flow.step = CaptureStep.FINGERPRINTS
    flow.operator_id, flow.operator_name = "OP-0003", "Rahmat"
    parked_here = store(tmp_path, key)

    assert park_flow(flow, parked_here, "power")
    assert flow.step is CaptureStep.LOCKED
    assert flow.parked_step is CaptureStep.FINGERPRINTS
    raw = parked_here.path.read_bytes()
    assert NIK.encode() not in raw
    assert bytes([1]) * 64 not in raw  # the template is not in clear
    assert parked_here.path.stat().st_mode & 0o077 == 0

    fresh = flow_for(sensor)
    assert resume_parked(fresh, store(tmp_path, key), sensor)
    assert not parked_here.exists
    assert (fresh.step, fresh.parked_step) == (CaptureStep.LOCKED, CaptureStep.FINGERPRINTS)
    assert (fresh.operator_id, fresh.operator_name) == ("OP-0003", "Rahmat")
    resumed = fresh.enrollment
    assert resumed is not None
    assert resumed.ticket == flow.enrollment.ticket
    assert resumed.fingers.templates() == {"right_thumb": bytes([1]) * 512}
    assert resumed.fingers.results["right_index"].state is FingerState.EXCEPTION
    assert resumed.fingers.current == "right_middle"
    assert resumed.photo_jpeg == b"\xff\xd8 the photo"
    assert resumed.flags == {"photo_override"}
    resumed.fingers.capture()  # the session goes on where it stopped
    assert resumed.fingers.done


def test_nothing_to_park_leaves_no_file(tmp_path: Path) -> None:
    sensor = Sensor()
    flow = flow_for(sensor)
    flow.step = CaptureStep.READY
    parked = store(tmp_path, Ed25519PrivateKey.generate())
    assert not park_flow(flow, parked)
    assert flow.step is CaptureStep.LOCKED
    assert not parked.exists
    assert not resume_parked(flow_for(sensor), parked, sensor)


@pytest.mark.parametrize("who", ["another booth's key", "another booth id", "a flipped byte"])
def test_a_parked_file_opens_only_on_its_own_booth_untouched(tmp_path: Path, who: str) -> None:
    key, sensor = Ed25519PrivateKey.generate(), Sensor()
    flow = flow_for(sensor)
    flow.enrollment = enrollment(sensor)
    flow.step = CaptureStep.PHOTO
    park_flow(flow, store(tmp_path, key))
    reader = store(tmp_path, key)
    if who == "another booth's key":
        reader = store(tmp_path, Ed25519PrivateKey.generate())
    elif who == "another booth id":
        reader = store(tmp_path, key, booth_id="booth-02")
    else:
        data = bytearray(reader.path.read_bytes())
        data[-5] ^= 0x01
        reader.path.write_bytes(bytes(data))
    with pytest.raises(ParkingError) as refused:
        reader.load(sensor)
    assert refused.value.code == "parking_key"
    assert NIK not in str(refused.value)
    assert reader.exists  # kept: the right booth can still open it
