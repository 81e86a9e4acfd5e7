"""Parking an enrollment in progress when the power fails, and resuming it after restart.

What was captured — the ticket, documents checked, photo, finger templates, signature,
flags — is written to one file in the booth's data directory, encrypted at rest:
AES-256-GCM with a key derived (HKDF-SHA256) from the booth's own Ed25519 signing key,
which never leaves the booth. Biometrics therefore never sit in clear on the SD card,
and a file copied to another booth (or tampered with) does not open there.

The file is written atomically (temporary file, fsync, rename, fsync of the directory)
and removed once its session is back in the flow; if power fails again the flow parks
it again. These functions use the capture flow's public attributes only:

* :func:`park_flow` — lock the flow (the step is kept as ``parked_step``) and store
  its enrollment; call it where the flow lives (UI thread, or under the booth's lock).
* :func:`resume_parked` — on start, put a parked session back into a fresh flow,
  locked, for the same operator: after their card and PIN the flow continues at the
  parked step.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ektp.atomic_file import write_atomically
from ektp.i18n import N_
from ektp.pki.files import private_directory
from ektp.sqlite_store import fsync_directory
from kiosk.errors import KioskError
from kiosk.flow.capture import SESSION_STEPS, CaptureFlow, CaptureStep
from kiosk.flow.fingers import FingerprintCapture, FingerResult, FingerSensor, FingerState
from kiosk.flow.ports import CheckIn, Ticket
from kiosk.flow.session import Enrollment

MAGIC = b"REKAM-PARKED-1\n"
FORMAT_VERSION = 1
PARKED_FILE_NAME = "parked-session.bin"


class ParkingError(KioskError):
    """A parked session cannot be stored or opened (never says what it holds)."""

    code = "parking"


@dataclass(frozen=True)
class ParkedPhoto:
    """The photo assessment kept for sealing (satisfies the flow's ``PhotoResult``)."""

    ok: bool
    jpeg: bytes | None = field(repr=False)
    background: str
    score: float
    scores: dict[str, float]
    failing: list[str]


@dataclass(frozen=True)
class ParkedSession:
    """An enrollment taken out of the flow, with where it stood and who ran it."""

    enrollment: Enrollment
    step: CaptureStep
    operator_id: str | None
    operator_name: str | None
    parked_at: dt.datetime
    reason: str


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text.encode("ascii"), validate=True)


# -- (de)serialising an enrollment ------------------------------------------------------


def enrollment_to_dict(enrollment: Enrollment) -> dict[str, Any]:
    ticket = enrollment.ticket
    photo = enrollment.last_photo
    fingers = enrollment.fingers
    return {
        "ticket": {
            "number": ticket.number,
            "issued_at": ticket.issued_at.isoformat(),
            "estimated_wait_minutes": ticket.estimated_wait_minutes,
            "checkin": {**asdict(ticket.checkin), "documents": list(ticket.checkin.documents)},
        },
        "started_at": enrollment.started_at.isoformat(),
        "documents_checked": list(enrollment.documents_checked),
        "photo_jpeg": _b64(enrollment.photo_jpeg),
        "last_photo": None
        if photo is None
        else {
            "ok": bool(photo.ok),
            "jpeg": _b64(photo.jpeg),
            "background": str(photo.background),
            "score": float(photo.score),
            "scores": {str(k): float(v) for k, v in photo.scores.items()},
            "failing": [str(f) for f in photo.failing],
        },
        "photo_override_reason": enrollment.photo_override_reason,
        "signature_png": _b64(enrollment.signature_png),
        "flags": sorted(str(f) for f in enrollment.flags),
        "fingers": {
            "order": list(fingers.results),
            "max_tries": fingers.max_tries,
            "min_quality": fingers.min_quality,
            "capture_timeout": fingers.capture_timeout,
            "selected": fingers.selected,
            "results": [
                {
                    "finger": r.finger,
                    "state": str(r.state),
                    "template": _b64(r.template),
                    "quality": r.quality,
                    "tries": r.tries,
                    "exception_reason": r.exception_reason,
                    "low_quality": r.low_quality,
                    "duplicate_of": r.duplicate_of,
                }
                for r in fingers.results.values()
            ],
        },
    }


def enrollment_from_dict(data: dict[str, Any], sensor: FingerSensor) -> Enrollment:
    raw_ticket = data["ticket"]
    raw_checkin = dict(raw_ticket["checkin"])
    raw_checkin["documents"] = tuple(raw_checkin["documents"])
    ticket = Ticket(
        number=raw_ticket["number"],
        checkin=CheckIn(**raw_checkin),
        issued_at=dt.datetime.fromisoformat(raw_ticket["issued_at"]),
        estimated_wait_minutes=raw_ticket["estimated_wait_minutes"],
    )
    raw_fingers = data["fingers"]
    fingers = FingerprintCapture(
        sensor,
        raw_fingers["order"],
        max_tries=raw_fingers["max_tries"],
        min_quality=raw_fingers["min_quality"],
        capture_timeout=raw_fingers["capture_timeout"],
    )
    for raw in raw_fingers["results"]:
        fingers.results[raw["finger"]] = FingerResult(
            finger=raw["finger"],
            state=FingerState(raw["state"]),
            template=_unb64(raw["template"]),
            quality=raw["quality"],
            tries=raw["tries"],
            exception_reason=raw["exception_reason"],
            low_quality=raw["low_quality"],
            duplicate_of=raw["duplicate_of"],
        )
    fingers.selected = raw_fingers["selected"]
    raw_photo = data["last_photo"]
    photo = (
        None
        if raw_photo is None
        else ParkedPhoto(
            ok=raw_photo["ok"],
            jpeg=_unb64(raw_photo["jpeg"]),
            background=raw_photo["background"],
            score=raw_photo["score"],
            scores=raw_photo["scores"],
            failing=raw_photo["failing"],
        )
    )
    return Enrollment(
        ticket=ticket,
        started_at=dt.datetime.fromisoformat(data["started_at"]),
        fingers=fingers,
        documents_checked=tuple(data["documents_checked"]),
        photo_jpeg=_unb64(data["photo_jpeg"]),
        last_photo=photo,
        photo_override_reason=data["photo_override_reason"],
        signature_png=_unb64(data["signature_png"]),
        flags=set(data["flags"]),
    )


# -- the encrypted file -----------------------------------------------------------------


class ParkedSessionStore:
    """The one parked-session file of a booth, sealed with a key from its signing key."""

    def __init__(self, path: Path, *, signing_key: Ed25519PrivateKey, booth_id: str) -> None:
        self.path = Path(path)
        self.booth_id = booth_id
        self._aad = MAGIC + booth_id.encode("utf-8")
        self._aead = AESGCM(_derive_key(signing_key, booth_id))

    @classmethod
    def in_data_dir(
        cls, data_dir: Path, *, signing_key: Ed25519PrivateKey, booth_id: str
    ) -> ParkedSessionStore:
        return cls(
            data_dir / "parked" / PARKED_FILE_NAME, signing_key=signing_key, booth_id=booth_id
        )

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def save(self, parked: ParkedSession) -> None:
        """Encrypt and store ``parked`` durably (replacing any earlier one)."""
        document = {
            "v": FORMAT_VERSION,
            "booth_id": self.booth_id,
            "step": str(parked.step),
            "operator_id": parked.operator_id,
            "operator_name": parked.operator_name,
            "parked_at": parked.parked_at.isoformat(),
            "reason": parked.reason,
            "enrollment": enrollment_to_dict(parked.enrollment),
        }
        plaintext = json.dumps(document, separators=(",", ":")).encode("utf-8")
        nonce = secrets.token_bytes(12)
        blob = MAGIC + nonce + self._aead.encrypt(nonce, plaintext, self._aad)
        try:
            _write_privately(self.path, blob)
        except OSError as err:
            raise ParkingError(
                N_("The session could not be parked on disk"), code="parking_write"
            ) from err

    def load(self, sensor: FingerSensor) -> ParkedSession | None:
        """Decrypt the parked session (None when there is none)."""
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise ParkingError(
                N_("The parked session cannot be read"), code="parking_read"
            ) from err
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
            raise ParkingError(N_("The parked session file is damaged"), code="parking_damaged")
        nonce = blob[len(MAGIC) : len(MAGIC) + 12]
        try:
            plaintext = self._aead.decrypt(nonce, blob[len(MAGIC) + 12 :], self._aad)
        except InvalidTag as err:
            raise ParkingError(
                N_("The parked session does not open with this booth's key"),
                code="parking_key",
            ) from err
        document = json.loads(plaintext)
        if document.get("v") != FORMAT_VERSION or document.get("booth_id") != self.booth_id:
            raise ParkingError(N_("The parked session file is damaged"), code="parking_damaged")
        return ParkedSession(
            enrollment=enrollment_from_dict(document["enrollment"], sensor),
            step=CaptureStep(document["step"]),
            operator_id=document["operator_id"],
            operator_name=document["operator_name"],
            parked_at=dt.datetime.fromisoformat(document["parked_at"]),
            reason=document["reason"],
        )

    def discard(self) -> None:
        """Remove the parked file (idempotent) and make the removal durable."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        fsync_directory(self.path.parent)


def _derive_key(signing_key: Ed25519PrivateKey, booth_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"rekam parked session v1|" + booth_id.encode("utf-8"),
    ).derive(signing_key.private_bytes_raw())


def _write_privately(path: Path, data: bytes) -> None:
    private_directory(path.parent)
    write_atomically(path, data, mode=0o600)


# -- the flow ---------------------------------------------------------------------------


def park_flow(
    flow: CaptureFlow,
    store: ParkedSessionStore,
    reason: str = "power",
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Lock the flow and store its session; False when no session was open.

    Call it on the thread that drives the flow. The session stays in the flow too
    (the operator could go on if the power came back before the booth shut down).
    """
    enrollment = flow.enrollment
    if flow.step is not CaptureStep.LOCKED:
        flow.lock(reason)
    if enrollment is None:
        return False
    step = flow.parked_step if flow.parked_step in SESSION_STEPS else None
    if step is None:
        return False  # an enrollment without a session step (saved) has nothing to keep
    store.save(
        ParkedSession(
            enrollment=enrollment,
            step=step,
            operator_id=flow.operator_id,
            operator_name=flow.operator_name,
            parked_at=now or dt.datetime.now(dt.UTC),
            reason=reason,
        )
    )
    return True


def resume_parked(flow: CaptureFlow, store: ParkedSessionStore, sensor: FingerSensor) -> bool:
    """Put a parked session back into a locked, fresh ``flow``; False when none was parked.

    The flow waits locked; the same operator's card and PIN continue at the parked
    step (another operator's login drops it, as for any locked session). The file is
    removed once the session is in the flow.
    """
    if flow.enrollment is not None:
        raise ParkingError(N_("A session is already open"), code="parking_busy")
    parked = store.load(sensor)
    if parked is None:
        return False
    if flow.step is not CaptureStep.LOCKED:
        flow.lock("resume_parked")
    flow.enrollment = parked.enrollment
    flow.parked_step = parked.step
    flow.operator_id = parked.operator_id
    flow.operator_name = parked.operator_name
    store.discard()
    return True
