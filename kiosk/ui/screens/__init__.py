"""One thin screen class per screen; the name is the ScreenManager's screen name.

``CHECKIN_SCREENS`` and ``CAPTURE_SCREENS`` name the screen that shows each flow step.
"""

from __future__ import annotations

from kiosk.flow.capture import CaptureStep
from kiosk.flow.checkin import CheckInStep
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.operator_fingers import FingersScreen
from kiosk.ui.screens.operator_handover import HandoverScreen
from kiosk.ui.screens.operator_login import LockScreen, PinScreen
from kiosk.ui.screens.operator_photo import PhotoScreen
from kiosk.ui.screens.operator_session import (
    ChecklistScreen,
    ReadyScreen,
    ReviewScreen,
    SavedScreen,
)
from kiosk.ui.screens.operator_signature import SignatureScreen
from kiosk.ui.screens.resident_end import (
    AlreadyRecordedScreen,
    ConfirmScreen,
    DocumentsScreen,
    SeeOperatorScreen,
    TicketScreen,
)
from kiosk.ui.screens.resident_numbers import KkScreen, NikScreen
from kiosk.ui.screens.resident_start import ServiceScreen, WelcomeScreen
from kiosk.ui.screens.training import TrainingResultScreen

SCREEN_CLASSES: dict[str, type[KioskScreen]] = {
    "welcome": WelcomeScreen,
    "service": ServiceScreen,
    "nik": NikScreen,
    "kk": KkScreen,
    "confirm": ConfirmScreen,
    "documents": DocumentsScreen,
    "ticket": TicketScreen,
    "already_recorded": AlreadyRecordedScreen,
    "see_operator": SeeOperatorScreen,
    "lock": LockScreen,
    "pin": PinScreen,
    "ready": ReadyScreen,
    "checklist": ChecklistScreen,
    "photo": PhotoScreen,
    "fingers": FingersScreen,
    "signature": SignatureScreen,
    "review": ReviewScreen,
    "saved": SavedScreen,
    "handover": HandoverScreen,
    "training_result": TrainingResultScreen,
}
CHECKIN_SCREENS = {
    CheckInStep.WELCOME: "welcome",
    CheckInStep.SERVICE: "service",
    CheckInStep.NIK: "nik",
    CheckInStep.KK: "kk",
    CheckInStep.CONFIRM: "confirm",
    CheckInStep.DOCUMENTS: "documents",
    CheckInStep.TICKET: "ticket",
    CheckInStep.ALREADY_RECORDED: "already_recorded",
    CheckInStep.SEE_OPERATOR: "see_operator",
}
CAPTURE_SCREENS = {
    CaptureStep.LOCKED: "lock",
    CaptureStep.PIN: "pin",
    CaptureStep.READY: "ready",
    CaptureStep.DOCUMENTS: "checklist",
    CaptureStep.PHOTO: "photo",
    CaptureStep.FINGERPRINTS: "fingers",
    CaptureStep.SIGNATURE: "signature",
    CaptureStep.REVIEW: "review",
    CaptureStep.SAVED: "saved",
}
