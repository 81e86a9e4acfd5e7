"""One resident's enrollment in progress, and the ports the capture flow calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from kiosk.flow.fingers import FingerprintCapture, FingerState
from kiosk.flow.ports import Ticket


@dataclass(frozen=True)
class OperatorIdentity:
    operator_id: str
    name: str


class CardLogin(Protocol):
    def verify_and_identify(self, pin: str) -> OperatorIdentity:
        """VERIFY the PIN on the inserted card, then read who the operator is."""
        ...


@dataclass(frozen=True)
class PhotoResult:
    ok: bool
    jpeg: bytes | None = field(repr=False)
    score: float
    checks: dict[str, bool]
    failing: list[str]


class PhotoStep(Protocol):
    def capture(self, required_background: str) -> PhotoResult:
        """Take a short burst and return the best frame's assessment (and JPEG)."""
        ...


@dataclass(frozen=True)
class SealedRecord:
    packet_id: str
    data: bytes = field(repr=False)
    outbox_meta: dict[str, Any]


class Sealer(Protocol):
    def seal(self, manifest: Mapping[str, Any], parts: Mapping[str, bytes]) -> SealedRecord: ...


class OutboxWriter(Protocol):
    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None: ...


@dataclass
class Enrollment:
    ticket: Ticket
    started_at: datetime
    fingers: FingerprintCapture
    documents_checked: tuple[str, ...] = ()
    photo_jpeg: bytes | None = field(default=None, repr=False)
    last_failed_photo: bytes | None = field(default=None, repr=False)
    photo_checks: dict[str, bool] = field(default_factory=dict)
    signature_png: bytes | None = field(default=None, repr=False)
    flags: set[str] = field(default_factory=set)

    def to_manifest_and_parts(
        self, *, booth_id: str, operator_id: str
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Split into what the manifest may say in clear and what must be sealed."""
        if self.photo_jpeg is None or self.signature_png is None:
            raise ValueError("photo and signature are required before sealing")
        checkin = self.ticket.checkin
        flags = set(self.flags)
        if not checkin.in_roster:
            flags.add("not_in_roster")
        fingers = {
            name: {
                "state": str(result.state),
                "quality": result.quality,
                "tries": result.tries,
                "exception_reason": result.exception_reason,
                "low_quality": result.low_quality,
                "duplicate_of": result.duplicate_of,
            }
            for name, result in self.fingers.results.items()
        }
        manifest = {
            "booth_id": booth_id,
            "operator_id": operator_id,
            "ticket": self.ticket.number,
            "nik": checkin.nik,
            "kk": checkin.kk,
            "name": checkin.name,
            "kelurahan": checkin.kelurahan,
            "service": checkin.service,
            "documents_checked": list(self.documents_checked),
            "photo_checks": dict(self.photo_checks),
            "fingers": fingers,
            "flags": sorted(flags),
            "started_at": self.started_at.isoformat(),
            "sealed_at": datetime.now(UTC).isoformat(),
        }
        parts: dict[str, bytes] = {
            "photo.jpg": self.photo_jpeg,
            "signature.png": self.signature_png,
        }
        for name, result in self.fingers.results.items():
            if result.state is FingerState.CAPTURED and result.template is not None:
                parts[f"finger/{name}"] = result.template
        return manifest, parts
