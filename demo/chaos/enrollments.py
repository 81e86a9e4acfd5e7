"""The chaos run's scripted enrollments: one resident per (booth, serial), content derived.

Capture itself (camera, fingerprint sensor, signature pad, the operator's card) is
covered by the kiosk tests; chaos targets the delivery path. So a chaos booth does
not capture anything: it builds the :class:`~ektp.record.EnrollmentRecord` of its
``serial``-th resident and synthetic part bytes derived from the run's seed, the booth
and the serial. The checker derives the same bytes again and compares them with what
it decrypts at central, so a packet that arrived with other content is caught.

Each resident has their own NIK (the booth's index picks the birth date, the serial
the NIK's serial number), which is what the checker groups central's rows by to find
an enrollment stored twice under two packet ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import (
    FINGER_ORDER,
    INDEX_FINGERS_ONLY,
    EnrollmentRecord,
    FingerCapture,
    QualityScores,
)
from ektp.services import Document, ServiceType

DISTRICT = "640306"  # Gunung Tabur, Berau
KELURAHAN = "Sambakungan"
OPERATOR_ID = "op-chaos"
MAX_SERIAL = 9999
"""NIK serial numbers run 1..9999: at most this many enrollments per booth."""
WITA = ZoneInfo("Asia/Makassar")
PHOTO_BYTES = 12_000
SIGNATURE_BYTES = 400
TEMPLATE_BYTES = 512


def resident_nik(booth_index: int, serial: int) -> str:
    """The NIK of booth ``booth_index``'s ``serial``-th resident (unique in the run)."""
    born = dt.date(1980, 1, 1) + dt.timedelta(days=booth_index)
    return build_nik(DISTRICT, born, Sex.FEMALE, serial)


def enrollment_record(booth_id: str, booth_index: int, serial: int) -> EnrollmentRecord:
    started = dt.datetime.now(WITA)
    return EnrollmentRecord.model_validate(
        {
            "nik": resident_nik(booth_index, serial),
            "kk": build_kk(DISTRICT, dt.date(2010, 1, 1), serial),
            "name": f"Warga Uji {booth_index}-{serial}",
            "kelurahan": KELURAHAN,
            "service": ServiceType.NEW_RECORDING,
            "operator_id": OPERATOR_ID,
            "booth_id": booth_id,
            "documents_checked": (Document.KK,),
            "capture_started_at": started,
            "captured_at": started,
            "quality": QualityScores(
                fingers=tuple(FingerCapture(finger=f, quality=80) for f in FINGER_ORDER),
                signature_captured=True,
            ),
        }
    )


def _derived(seed: int, booth_id: str, serial: int, part: str, size: int) -> bytes:
    return hashlib.shake_256(f"rekam-chaos/{seed}/{booth_id}/{serial}/{part}".encode()).digest(size)


def enrollment_parts(seed: int, booth_id: str, serial: int) -> dict[str, bytes]:
    """The synthetic photo, signature and index-finger templates of one enrollment."""
    sizes = {PHOTO_PART: PHOTO_BYTES, SIGNATURE_PART: SIGNATURE_BYTES}
    sizes.update({template_part(finger): TEMPLATE_BYTES for finger in INDEX_FINGERS_ONLY})
    return {name: _derived(seed, booth_id, serial, name, size) for name, size in sizes.items()}
