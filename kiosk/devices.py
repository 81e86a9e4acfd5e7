"""Adapters from the hardware layer to the ports the flows call."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

import numpy as np

from ektp.pki import (
    CardNotGenuine,
    CertifiedOperator,
    verify_card_signature,
    verify_operator_certificate,
)
from hardware.camera import Camera
from hardware.smartcard import SmartCardReader
from kiosk.flow.ports import AuditSink
from kiosk.flow.session import OperatorIdentity
from kiosk.operator_trust import OperatorCardRefused, OperatorCardTrust, OperatorTrustUnavailable
from kiosk.photo import PhotoQualityChecker
from kiosk.photo.capture import BurstCapture

log = logging.getLogger(__name__)

CHALLENGE_BYTES = 32


class SmartCardLogin:
    """Operator login with a PIV card: prove the card is the office's, then trust who
    its certificate names.

    1. The certificate in the card's PIV Authentication slot (GET DATA, no PIN) must be
       issued by an office CA the booth trusts, be an operator certificate, be valid now
       and not revoked — checked *before* the PIN is sent, so a card the office never
       issued never sees an operator's PIN.
    2. VERIFY the PIN on the card (the card counts the tries; PinError / PinBlocked).
    3. The card signs a fresh random challenge (GENERAL AUTHENTICATE, ECDSA P-256 in
       slot 9A); the signature must verify with the key in the certificate (a copied
       certificate without the card's key fails).
    4. The operator id and name come from the certificate.

    A refused card is reset (its verified PIN no longer counts), audited as
    ``operator.card_refused`` with the reason and certificate serial (never a PIN or
    key bytes) and reported as :class:`OperatorCardRefused`.
    """

    def __init__(
        self,
        reader: SmartCardReader,
        trust: OperatorCardTrust,
        audit: AuditSink | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._reader = reader
        self._trust = trust
        self._audit = audit
        self._random_bytes = random_bytes

    def verify_and_identify(self, pin: str) -> OperatorIdentity:
        try:
            certified = self._certified_operator()
            self._reader.verify_pin(pin)
            self._prove_key(certified)
        except CardNotGenuine as err:
            self._refuse(err)
            raise OperatorCardRefused(err) from err
        except OperatorTrustUnavailable as err:
            log.error("operator login impossible: %s", err.cause)
            self._audit_event("operator.card_unchecked", cause=err.cause)
            raise
        return OperatorIdentity(operator_id=certified.operator_id, name=certified.name)

    def _certified_operator(self) -> CertifiedOperator:
        issuers = self._trust.issuers()
        revoked = self._trust.revoked_serials(issuers)
        certificate = self._reader.read_operator_certificate()
        return verify_operator_certificate(certificate, issuers, revoked_serials=revoked)

    def _prove_key(self, certified: CertifiedOperator) -> None:
        challenge = self._random_bytes(CHALLENGE_BYTES)
        verify_card_signature(certified, challenge, self._reader.sign_challenge(challenge))

    def _refuse(self, err: CardNotGenuine) -> None:
        serial = f"{err.serial:x}" if err.serial is not None else None
        log.warning("operator card refused (%s, certificate %s): %s", err.reason, serial, err)
        self._audit_event("operator.card_refused", reason=err.reason, certificate_serial=serial)
        try:
            self._reader.logout()
        except Exception:  # the card may be gone already; the refusal stands
            log.debug("could not reset the refused card", exc_info=True)

    def _audit_event(self, event: str, **fields: object) -> None:
        if self._audit is not None:
            self._audit.append(event, **fields)


class CameraBurst:
    """A short burst of frames from a started camera."""

    def __init__(self, camera: Camera, frames: int = 5, timeout: float = 3.0) -> None:
        self._camera = camera
        self._frames = frames
        self._timeout = timeout

    def __call__(self) -> Sequence[np.ndarray]:
        if not self._camera.started:
            self._camera.start()
        return [self._camera.read_frame(self._timeout) for _ in range(self._frames)]


def photo_step(camera: Camera, checker: PhotoQualityChecker, frames: int = 5) -> BurstCapture:
    return BurstCapture(CameraBurst(camera, frames), checker)
