"""Operator: call the next ticket, document checklist, review, saved."""

from __future__ import annotations

import io
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.properties import ListProperty, ObjectProperty, StringProperty

from ektp.i18n import N_
from ektp.nik import format_masked
from ektp.resident import mask_name
from kiosk.flow.errors import FlowError
from kiosk.flow.fingers import FingerState
from kiosk.flow.session import Enrollment
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.texts import (
    EXCEPTION_REASONS,
    FINGER_NAMES,
    FLAG_NAMES,
    PHOTO_OVERRIDE_REASONS,
    words,
)
from kiosk.ui.widgets.fit import FitToggleButton

SYMBOL_FONT = "DejaVuSans"  # Roboto lacks ✓
MSG_NOBODY = N_("Nobody is waiting. Try again in a moment.")
MSG_SEALING = N_("Sealing and saving the record…")
MSG_FINGERS_SUMMARY = N_("Fingers captured: {captured} of {total}.")
MSG_NOT_IN_ROSTER = N_("(not in the roster)")
MSG_DOCUMENTS_MISSING = N_("Documents still to check: {missing}.")


def _resident_line(app: Any, enrollment: Enrollment) -> str:
    checkin = enrollment.ticket.checkin
    name = mask_name(checkin.name) if checkin.name else app.tr(app.lang, MSG_NOT_IN_ROSTER)
    return f"{enrollment.ticket.number}  ·  {name}  ·  NIK {format_masked(checkin.nik)}"


class ReadyScreen(KioskScreen):
    operator_name = StringProperty("")
    note_text = StringProperty("")

    def on_pre_enter(self, *args: Any) -> None:
        self.note_text = ""
        super().on_pre_enter(*args)

    def fill(self) -> None:
        capture = self.app.capture
        self.operator_name = (capture.operator_name or "") if capture else ""

    def call_next(self) -> None:
        capture = self.app.capture
        assert capture is not None
        if self.attempt(capture.call_next) and capture.enrollment is None:
            self.note_text = self.t(MSG_NOBODY)

    def lock(self) -> None:
        assert self.app.capture is not None
        self.app.capture.lock("operator")
        self.app.sync()


class ChecklistScreen(KioskScreen):
    resident_text = StringProperty("")
    service_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._toggles: dict[str, FitToggleButton] = {}

    def on_pre_enter(self, *args: Any) -> None:
        self._toggles = {}
        super().on_pre_enter(*args)

    def fill(self) -> None:
        enrollment = self.enrollment()
        if enrollment is None:
            return
        self.resident_text = _resident_line(self.app, enrollment)
        self.service_text = self.app.service_words(enrollment.ticket.checkin.service)
        box = self.ids.checklist
        shown = {d for d, t in self._toggles.items() if t.state == "down"}
        box.clear_widgets()
        self._toggles = {}
        for document in enrollment.ticket.checkin.documents:
            toggle = FitToggleButton(text="✓  " + self.app.document_words(document))
            toggle.font_name = SYMBOL_FONT
            toggle.base_font_size = 20 * self.app.scale
            toggle.state = "down" if document in shown else "normal"
            self._toggles[document] = toggle
            box.add_widget(toggle)

    def _shown(self) -> set[str]:
        return {d for d, t in self._toggles.items() if t.state == "down"}

    def confirm(self) -> None:
        assert self.app.capture is not None
        missing = [d for d in self._toggles if d not in self._shown()]
        if missing:
            # The flow's own error names document codes; say their names instead.
            names = ", ".join(self.app.document_words(d) for d in missing)
            self.show_error(
                FlowError(MSG_DOCUMENTS_MISSING, code="documents_missing", missing=names)
            )
            return
        self.attempt(self.app.capture.confirm_documents, self._shown())

    def send_home(self) -> None:
        assert self.app.capture is not None
        missing = [d for d in self._toggles if d not in self._shown()]
        self.attempt(self.app.capture.send_home_for_documents, missing)

    def absent(self) -> None:
        """The called resident did not come: end the ticket (abandoned); call the next."""
        assert self.app.capture is not None
        self.attempt(self.app.capture.mark_absent)

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")


class ReviewScreen(KioskScreen):
    resident_text = StringProperty("")
    summary_text = StringProperty("")
    flags_text = StringProperty("")
    photo_texture = ObjectProperty(None, allownone=True)
    signature_texture = ObjectProperty(None, allownone=True)
    finger_lines = ListProperty([])

    def fill(self) -> None:
        enrollment = self.enrollment()
        if enrollment is None:
            return
        lang = self.app.lang
        self.resident_text = _resident_line(self.app, enrollment)
        results = enrollment.fingers.results
        captured = sum(1 for r in results.values() if r.state is FingerState.CAPTURED)
        self.summary_text = self.t(MSG_FINGERS_SUMMARY).format(
            captured=captured, total=len(results)
        )
        exceptions = [
            f"{words(FINGER_NAMES, r.finger, lang)}: "
            + words(EXCEPTION_REASONS, r.exception_reason or "", lang)
            for r in results.values()
            if r.state is FingerState.EXCEPTION
        ]
        flags = [words(FLAG_NAMES, str(f), lang) for f in sorted(enrollment.flags)]
        if enrollment.photo_override_reason:
            override = words(FLAG_NAMES, "photo_override", lang)
            flags.append(f"{override}: {self._reason_words(enrollment.photo_override_reason)}")
        self.flags_text = "\n".join(exceptions + flags)
        self.photo_texture = _texture(enrollment.photo_jpeg, "jpg")
        self.signature_texture = _texture(enrollment.signature_png, "png")

    def _reason_words(self, reason: str) -> str:
        return words(PHOTO_OVERRIDE_REASONS, reason, self.app.lang)

    def seal(self) -> None:
        capture = self.app.capture
        assert capture is not None
        self.app.run_blocking(
            self.t(MSG_SEALING), capture.seal, lambda _id: self.app.sync(), self.show_error
        )

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")


def _texture(data: bytes | None, ext: str) -> Any:
    if not data:
        return None
    try:
        return CoreImage(io.BytesIO(data), ext=ext).texture
    except Exception:
        return None


class SavedScreen(KioskScreen):
    packet_text = StringProperty("")

    def fill(self) -> None:
        capture = self.app.capture
        self.packet_text = (capture.saved_packet_id or "") if capture else ""

    def call_next(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.call_next)

    def lock(self) -> None:
        assert self.app.capture is not None
        self.app.capture.lock("operator")
        self.app.sync()
