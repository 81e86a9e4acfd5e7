"""Fakes for the touchscreen app — a development convenience and test scaffolding, not the booth.

    python -m demo.kiosk_fakes        # the booth's screens over these fakes, in a window

The booth wires real or emulated devices (fingerprint over UART/pty, card via pcscd,
camera, outbox, sealer) through ``kiosk.booth``. Here every collaborator is in memory
and every device is a few lines that sleep and answer, so the screens can be tried on
a laptop (and the UI tests drive them). Nothing here seals or encrypts anything.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ektp.nik import Sex, build_nik
from ektp.services import ServiceCatalog
from hardware.errors import PinBlocked, PinError
from kiosk.flow.capture import CaptureFlow
from kiosk.flow.checkin import CheckInFlow
from kiosk.flow.ports import InMemoryRoster, InMemoryTicketDesk, RosterEntry
from kiosk.flow.session import OperatorIdentity, SealedRecord
from kiosk.handover import HandoverFlow
from kiosk.power.parking import ParkedPhoto
from kiosk.ui.status import BoothStatus, DeviceHealth

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

DEMO_REGION = "640305"  # Gunung Tabur, Berau
DEMO_KK = DEMO_REGION + "0103150007"
DEMO_PIN = "123456"
TEN_FINGERS = (
    "right_thumb", "right_index", "right_middle", "right_ring", "right_little",
    "left_thumb", "left_index", "left_middle", "left_ring", "left_little",
)  # fmt: skip


def demo_residents() -> list[RosterEntry]:
    """Two residents: one still to record, one recorded last year."""
    return [
        RosterEntry(
            nik=build_nik(DEMO_REGION, dt.date(2005, 3, 14), Sex.FEMALE, 1),
            kk=DEMO_KK,
            name="Siti Rahmawati",
            kelurahan="Gunung Tabur",
            rt="003",
            rw="001",
        ),
        RosterEntry(
            nik=build_nik(DEMO_REGION, dt.date(1990, 7, 2), Sex.MALE, 2),
            kk=DEMO_KK,
            name="Budi Santoso",
            kelurahan="Gunung Tabur",
            recorded_on=dt.date(2024, 8, 21),
            card_status="printed",
        ),
    ]


class AuditList:
    """Audit events kept in a list (the booth uses the hash-chained ``kiosk.audit``)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def append(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))


class FakeCardLogin:
    """An operator card whose PIN is ``pin``; blocks after three wrong tries."""

    def __init__(self, pin: str = DEMO_PIN, delay: float = 0.4) -> None:
        self._pin = pin
        self._delay = delay
        self.tries_left = 3

    def verify_and_identify(self, pin: str) -> OperatorIdentity:
        time.sleep(self._delay)
        if self.tries_left <= 0:
            raise PinBlocked("card blocked")
        if pin != self._pin:
            self.tries_left -= 1
            if self.tries_left <= 0:
                raise PinBlocked("card blocked")
            raise PinError("wrong PIN", tries_left=self.tries_left)
        self.tries_left = 3
        return OperatorIdentity(operator_id="op-07", name="Operator Demo")


@dataclass
class FakePhotoStep:
    """Fails the listed checks on the first ``failures`` captures, then passes."""

    delay: float = 0.8
    failures: int = 1
    failing: tuple[str, ...] = ("background_colour",)
    frame: Callable[[], np.ndarray] = field(default=lambda: portrait_frame(0))

    def capture(self, required_background: str) -> ParkedPhoto:
        time.sleep(self.delay)
        jpeg = _jpeg(self.frame())
        if self.failures > 0:
            self.failures -= 1
            scores = {"face_height_share": 0.7, "background_distance": 80.0}
            return ParkedPhoto(False, jpeg, required_background, 0.4, scores, list(self.failing))
        scores = {"face_height_share": 0.7, "background_distance": 5.0}
        return ParkedPhoto(True, jpeg, required_background, 0.9, scores, [])


@dataclass
class FakeEnrolled:
    template: bytes
    quality: int


class FakeFingerSensor:
    """Says place / lift / place again, then returns a random template of good quality."""

    def __init__(self, delay: float = 0.5, quality: int = 80) -> None:
        self.delay = delay
        self.quality = quality

    def enroll_finger(
        self, on_step: Callable[[str], None] | None = None, timeout: float = 20.0
    ) -> FakeEnrolled:
        for step in ("place", "lift", "place_again"):
            if on_step is not None:
                on_step(step)
            time.sleep(self.delay / 3)
        return FakeEnrolled(template=uuid.uuid4().bytes * 32, quality=self.quality)

    def capture_template(self, timeout: float = 20.0) -> bytes:
        """The finger a hand-over test put on the glass (``finger_on_glass``)."""
        time.sleep(self.delay / 3)
        return self.finger_on_glass

    finger_on_glass: bytes = b"demo-resident-right-index" * 8

    def compare(self, template_a: bytes, template_b: bytes) -> int:
        return 200 if template_a == template_b else 0

    def is_match(self, score: int) -> bool:
        return score >= 100


@dataclass(frozen=True)
class FakeResidentCard:
    nik: str
    name: str
    templates: tuple[bytes, bytes] = field(repr=False)


class FakeResidentCardReader:
    """A reader holding Siti's printed e-KTP, enrolled with the demo sensor's finger."""

    def __init__(self, delay: float = 0.3) -> None:
        self.delay = delay
        siti = demo_residents()[0]
        finger = FakeFingerSensor.finger_on_glass
        self.card = FakeResidentCard(siti.nik, siti.name, (finger, b"other-finger" * 8))

    def read_resident_card(self) -> FakeResidentCard:
        time.sleep(self.delay)
        return self.card


class FakeSealer:
    """NOT a seal: JSON of the record plus part hashes (the booth uses ``kiosk.sealing``)."""

    def seal(self, record: Any, parts: Mapping[str, bytes]) -> SealedRecord:
        packet_id = str(uuid.uuid4())
        body = {
            "record": record.model_dump(mode="json"),
            "parts": {k: hashlib.sha256(v).hexdigest() for k, v in parts.items()},
        }
        data = json.dumps(body, sort_keys=True).encode()
        return SealedRecord(packet_id, data, {"kelurahan": record.kelurahan})


class MemoryOutbox:
    def __init__(self) -> None:
        self.records: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None:
        with self._lock:
            self.records[packet_id] = (sealed, meta)


class PortraitPreview:
    """A live preview that sways a portrait a little, like a resident on a stool."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def latest_frame(self) -> np.ndarray:
        return portrait_frame(time.monotonic() - self._start)


_PORTRAIT: list[np.ndarray] = []


def portrait_frame(t: float) -> np.ndarray:
    if not _PORTRAIT:
        from skimage import data  # noqa: PLC0415 - only the demo needs it

        _PORTRAIT.append(np.ascontiguousarray(data.astronaut()[::2, ::2]))
    shift = int(6 * np.sin(t * 1.5))
    return np.ascontiguousarray(np.roll(_PORTRAIT[0], shift, axis=1))


def _jpeg(frame: np.ndarray) -> bytes:
    import cv2  # noqa: PLC0415

    ok, buffer = cv2.imencode(".jpg", frame[:, :, ::-1])
    return bytes(buffer) if ok else b""


@dataclass
class DemoParts:
    """Everything the demo builds, so tests can look at the queue, outbox and audit."""

    kwargs: dict[str, Any]
    tickets: InMemoryTicketDesk
    outbox: MemoryOutbox
    audit: AuditList
    roster: InMemoryRoster
    login: FakeCardLogin
    photo: FakePhotoStep
    sensor: FakeFingerSensor
    handover: HandoverFlow
    events: list[Any]


def build_demo_parts(
    *, device_delay: float = 0.6, fingers: tuple[str, ...] = TEN_FINGERS
) -> DemoParts:
    catalog = ServiceCatalog()
    audit = AuditList()
    roster = InMemoryRoster(demo_residents())
    tickets = InMemoryTicketDesk()
    checkin = CheckInFlow(
        roster=roster,
        tickets=tickets,
        audit=audit,
        documents_for=lambda s: [str(d) for d in catalog.required_documents(s)],  # type: ignore[arg-type]
        services=[str(s) for s in catalog.enabled_services()],
    )
    login = FakeCardLogin(delay=device_delay * 0.5)
    photo = FakePhotoStep(delay=device_delay)
    sensor = FakeFingerSensor(delay=device_delay)
    outbox = MemoryOutbox()
    capture = CaptureFlow(
        booth_id="booth-01",
        login=login,
        tickets=tickets,
        photo=photo,
        sensor=sensor,
        sealer=FakeSealer(),
        outbox=outbox,
        audit=audit,
        fingers=fingers,
        required_background=lambda _enrollment: "white",
        office_district_code=DEMO_REGION,
    )
    status = BoothStatus(
        devices={
            "fingerprint": DeviceHealth(True, "demo sensor"),
            "smartcard": DeviceHealth(True, "demo card"),
            "camera": DeviceHealth(True, "demo portrait"),
        }
    )
    events: list[Any] = []
    handover = HandoverFlow(
        booth_id="booth-01",
        reader=FakeResidentCardReader(delay=device_delay * 0.5),
        sensor=sensor,
        audit=audit,
        publish=events.append,
    )
    kwargs = {
        "handover": handover,
        "checkin": checkin,
        "capture": capture,
        "status": status,
        "preview": PortraitPreview(),
    }
    return DemoParts(kwargs, tickets, outbox, audit, roster, login, photo, sensor, handover, events)


def build_demo() -> dict[str, Any]:
    """The keyword arguments of ``KioskApp`` for the demo."""
    return build_demo_parts().kwargs


def build_fake_app(**kwargs: Any) -> KioskApp:
    """The booth's app over the fakes, with the demo controls."""
    from kiosk.ui.app import KioskApp  # noqa: PLC0415 - imports Kivy's window

    return KioskApp(**build_demo(), demo_controls=True, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The booth's screens over in-memory roster and tickets and fake devices "
        "(development only; the booth wires real or emulated devices through kiosk.booth)."
    )
    parser.parse_args(argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    logging.basicConfig(level=logging.INFO)
    app = build_fake_app()
    asyncio.run(app.async_run(async_lib="asyncio"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
