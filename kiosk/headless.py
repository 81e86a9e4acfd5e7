"""Run a scripted session through the real flows and the emulated devices, without a screen.

Each human action (typing, placing a finger, showing a face) happens through the
device emulators' test controls, so the drivers, the flows, sealing and the outbox
all run for real. Timings separate the device waits from the booth's own work.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from ektp.messages import TrainingResultMessage
from ektp.nik import parse_nik
from ektp.photo_rule import required_background
from ektp.record import Finger
from hardware.camera.emulated import EmulatedCamera
from hardware.camera.scenes import portrait_frame
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from hardware.smartcard import EmulatedSmartCardReader, OperatorCard
from kiosk.booth import Booth
from kiosk.errors import KioskFault
from kiosk.flow.capture import CaptureFlow, CaptureStep
from kiosk.flow.checkin import CheckInStep
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import InMemoryRoster, RosterEntry
from kiosk.script import EnrollmentScript, ScriptResident
from kiosk.uplink.desk import EdgeTicketDesk

OFFICE_KEY_WAIT_SECONDS = 90.0
"""A booth just added gets the office roster key at the edge's next key publication (the
edge looks for new booths every ``[roster]`` min_interval + check_interval seconds)."""


class HeadlessError(KioskFault, RuntimeError):
    """The script cannot run on this booth (not emulated devices, or a step failed)."""

    code = "headless"


@dataclass
class ResidentOutcome:
    nik_masked: str
    ticket: str
    packet_id: str
    flags: list[str]
    seconds: float
    fingers_captured: int
    finger_tries: int


@dataclass
class ScriptOutcome:
    residents: list[ResidentOutcome] = field(default_factory=list)
    seconds: float = 0.0
    training: TrainingResultMessage | None = None


def signature_png(seed: str) -> bytes:
    """A signature as a touchscreen pad would give it: a dark stroke on white, PNG."""
    canvas = np.full((200, 600), 255, np.uint8)
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    xs = np.linspace(40, 560, 60)
    ys = 100 + np.cumsum(rng.normal(0, 8, xs.size)).clip(-60, 60)
    points = np.stack([xs, ys], axis=1).astype(np.int32)
    cv2.polylines(canvas, [points], isClosed=False, color=0, thickness=3)
    ok, png = cv2.imencode(".png", canvas)
    if not ok:
        raise HeadlessError("could not encode the signature")
    return png.tobytes()


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.02)
    raise HeadlessError(f"timed out waiting for {what}")


class HeadlessRunner:
    def __init__(self, booth: Booth, script: EnrollmentScript) -> None:
        if not isinstance(booth.sensor, EmulatedFingerprintSensor):
            raise HeadlessError("headless scripts need the emulated fingerprint sensor")
        if not isinstance(booth.reader, EmulatedSmartCardReader):
            raise HeadlessError("headless scripts need the emulated smart-card reader")
        if not isinstance(booth.camera, EmulatedCamera):
            raise HeadlessError("headless scripts need the emulated camera")
        self.booth = booth
        self.script = script
        self.sensor: EmulatedFingerprintSensor = booth.sensor
        self.reader: EmulatedSmartCardReader = booth.reader
        self.camera: EmulatedCamera = booth.camera
        self.flow: CaptureFlow = booth.capture
        """The flow being driven: the booth's, or a practice flow in training mode."""

    def run(self) -> ScriptOutcome:
        started = time.monotonic()
        outcome = ScriptOutcome()
        self.booth.follow_card_events(self.booth.run_locked)
        self.log_in()
        if self.script.mode == "training":
            self.start_training()
        for resident in self.script.residents:
            outcome.residents.append(self.enroll(resident))
        if self.script.mode == "training":
            assert self.booth.training is not None
            outcome.training = self.booth.training.finish()
        outcome.seconds = time.monotonic() - started
        return outcome

    def log_in(self) -> None:
        operator = self.script.operator
        card = OperatorCard(operator.operator_id, operator.name, operator.pin.get_secret_value())
        self.reader.insert_card(card)
        flow = self.booth.capture
        _wait_for(lambda: flow.step is CaptureStep.PIN, 15, "the card to be seen")
        flow.enter_pin(operator.pin.get_secret_value())

    def start_training(self) -> None:
        """The operator chose "Latihan" at the PIN: a practice flow takes over."""
        desk = self.booth.training
        if desk is None:
            raise HeadlessError("this booth has no training desk")
        pin = self.script.operator.pin.get_secret_value()
        self.booth.capture.lock("training")
        self.flow = desk.start(pin).flow

    def check_in(self, resident: ScriptResident) -> str:
        if isinstance(self.booth.tickets, EdgeTicketDesk):  # a booth just added: the key may lag
            _wait_for(
                lambda: self.booth.roster_secret() is not None,
                OFFICE_KEY_WAIT_SECONDS,
                "the office roster key from the edge (is this booth registered?)",
            )
        roster = self.booth.roster
        if resident.in_roster and isinstance(roster, InMemoryRoster):
            roster.add(RosterEntry(resident.nik, resident.kk, resident.name, resident.kelurahan))
        flow = self.booth.checkin
        flow.start("id")
        flow.choose_service(str(resident.service))
        flow.enter_nik(resident.nik)
        if flow.step is CheckInStep.ALREADY_RECORDED:
            raise HeadlessError("the resident is already recorded")
        flow.enter_kk(resident.kk)
        if flow.step is CheckInStep.CONFIRM:
            flow.confirm_name(True)
        ticket = flow.accept_documents()
        flow.finish()
        return ticket.number

    def enroll(self, resident: ScriptResident) -> ResidentOutcome:
        started = time.monotonic()
        if self.script.mode == "recording":
            self.check_in(resident)  # practice residents come from the training roster
        flow = self.flow
        ticket = flow.call_next()
        if ticket is None:
            raise HeadlessError("no ticket waiting after check-in")
        flow.confirm_documents(set(ticket.checkin.documents))
        self.show_resident(ticket.checkin.nik)
        photo = flow.take_photo()
        if not photo.ok:
            flow.accept_photo_anyway("headless: " + ", ".join(photo.failing))
        tries = self.capture_fingers(resident)
        flow.submit_signature(signature_png(resident.nik))
        assert flow.enrollment is not None
        captured = len(flow.enrollment.fingers.templates())
        packet_id = flow.seal()
        assert flow.saved_record is not None
        flags = sorted(str(f) for f in flow.saved_record.flags)
        return ResidentOutcome(
            nik_masked=resident.nik[:6] + "…",
            ticket=ticket.number,
            packet_id=packet_id,
            flags=flags,
            seconds=time.monotonic() - started,
            fingers_captured=captured,
            finger_tries=tries,
        )

    def show_resident(self, resident: ScriptResident | str) -> None:
        """Sit the resident (or the holder of this NIK) in front of the camera."""
        nik = resident if isinstance(resident, str) else resident.nik
        rule = self.booth.config.office.photo.rule
        background = required_background(rule, parse_nik(nik).birth_date)
        self.camera.show([portrait_frame(background, seed=seed) for seed in range(3)])

    def capture_fingers(self, resident: ScriptResident) -> int:
        flow = self.flow
        emulator = self.sensor.emulator
        tries = 0
        while flow.step is CaptureStep.FINGERPRINTS:
            assert flow.enrollment is not None
            finger = flow.enrollment.fingers.current
            if finger is None:
                break
            reason = resident.finger_exceptions.get(Finger(finger))
            if reason is not None:
                flow.mark_finger_exception(str(reason), finger)
                continue
            tries += 1
            on_step = emulator.resident_following_prompts(
                f"{resident.nik}/{finger}", resident.finger_quality
            )
            try:
                flow.capture_finger(on_step)
            except FlowError:
                continue
            finally:
                emulator.lift_finger()
        return tries
