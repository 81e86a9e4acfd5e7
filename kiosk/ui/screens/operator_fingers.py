"""Operator: ten fingers on a hand diagram, the sensor's prompts, exceptions with a reason."""

from __future__ import annotations

from typing import Any

from kivy.clock import mainthread
from kivy.properties import DictProperty, StringProperty

from ektp.i18n import N_
from kiosk.flow.fingers import FingerState
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.texts import EXCEPTION_REASONS, FINGER_NAMES, SENSOR_PROMPTS, words
from kiosk.ui.widgets.fit import FitButton

MSG_CAPTURING = N_("Capturing the fingerprint…")
MSG_CURRENT = N_("Now: {finger}")
MSG_MARK = N_("Cannot capture {finger}:")


class FingersScreen(KioskScreen):
    states = DictProperty({})
    current = StringProperty("")
    current_text = StringProperty("")
    prompt_text = StringProperty("")
    status_text = StringProperty("")
    mark_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prompt_code = ""

    def on_pre_enter(self, *args: Any) -> None:
        self._prompt_code = ""
        super().on_pre_enter(*args)

    def fill(self) -> None:
        enrollment = self.enrollment()
        if enrollment is None:
            return
        lang = self.app.lang
        states, lines = {}, []
        for name, result in enrollment.fingers.results.items():
            if result.state is FingerState.EXCEPTION:
                states[name] = "exception"
                detail = words(EXCEPTION_REASONS, result.exception_reason or "", lang)
            elif result.state is FingerState.CAPTURED:
                states[name] = "retried" if result.tries > 1 else "captured"
                detail = f"✓ {result.quality}" + (f" ({result.tries}×)" if result.tries > 1 else "")
            else:
                states[name] = "pending"
                detail = "…"
            lines.append(f"{words(FINGER_NAMES, name, lang)}: {detail}")
        self.states = states
        self.current = enrollment.fingers.current or ""
        finger = words(FINGER_NAMES, self.current, lang) if self.current else ""
        self.current_text = self.t(MSG_CURRENT).format(finger=finger) if finger else ""
        self.mark_text = self.t(MSG_MARK).format(finger=finger) if finger else ""
        self.status_text = "\n".join(lines)
        self.prompt_text = (
            words(SENSOR_PROMPTS, self._prompt_code, lang) if self._prompt_code else ""
        )
        box = self.ids.reasons
        box.clear_widgets()
        for code, message in EXCEPTION_REASONS.items():
            button = FitButton(text=self.t(message))
            button.base_font_size = 15 * self.app.scale
            button.bind(on_release=lambda _b, c=code: self.mark(c))
            box.add_widget(button)

    @mainthread
    def _on_sensor_step(self, code: str) -> None:
        self._prompt_code = code
        self.prompt_text = words(SENSOR_PROMPTS, code, self.app.lang)
        self.app.busy_message = self.prompt_text

    def capture_finger(self) -> None:
        capture = self.app.capture
        assert capture is not None
        self._error = None
        self.app.run_blocking(
            self.t(MSG_CAPTURING),
            lambda: capture.capture_finger(self._on_sensor_step),
            self._captured,
            self._failed,
        )

    def _captured(self, _result: Any) -> None:
        self._prompt_code = ""
        self._error = None
        self.app.sync()

    def _failed(self, err: BaseException) -> None:
        self._prompt_code = ""
        self.show_error(err)

    def mark(self, reason: str) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.mark_finger_exception, reason)

    def select(self, finger: str) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.retake_finger, finger)

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")
