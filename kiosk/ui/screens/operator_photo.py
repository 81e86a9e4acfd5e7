"""Operator: the photo with a live preview, a face-guide oval, the failing check in words."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from ektp.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.texts import PHOTO_CHECKS, PHOTO_OVERRIDE_REASONS, tr, words
from kiosk.ui.widgets.fit import FitToggleButton

PREVIEW_FPS = 10
MSG_TAKING = N_("Taking the photo: look at the camera…")
MSG_NO_CAMERA = N_("No camera picture yet.")


class PhotoScreen(KioskScreen):
    preview_texture = ObjectProperty(None, allownone=True)
    failing_text = StringProperty("")
    can_override = BooleanProperty(False)
    camera_note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failing: list[str] = []
        self._messages: list[str] = []
        self._reason: str | None = None
        self._preview_event: Any = None

    def on_pre_enter(self, *args: Any) -> None:
        self._failing = []
        self._messages = []
        self._reason = None
        super().on_pre_enter(*args)
        self._preview_event = Clock.schedule_interval(self._update_preview, 1 / PREVIEW_FPS)
        self._update_preview(0)

    def on_leave(self, *_args: Any) -> None:
        if self._preview_event is not None:
            self._preview_event.cancel()
            self._preview_event = None

    def _update_preview(self, _dt: float) -> None:
        frame = self.app.preview.latest_frame() if self.app.preview else None
        if frame is None:
            self.camera_note = self.t(MSG_NO_CAMERA)
            return
        self.camera_note = ""
        height, width = frame.shape[:2]
        texture = self.preview_texture
        if texture is None or tuple(texture.size) != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.flip_vertical()
        texture.blit_buffer(frame.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        self.preview_texture = texture
        self.ids.preview.canvas.ask_update()

    def fill(self) -> None:
        lang = self.app.lang
        if self._messages:
            failing = [tr(message, lang) for message in self._messages]
        else:
            failing = [words(PHOTO_CHECKS, code, lang) for code in self._failing]
        self.failing_text = "\n".join(failing)
        self.can_override = bool(self._failing)
        box = self.ids.reasons
        box.clear_widgets()
        if not self._failing:
            return
        for code, message in PHOTO_OVERRIDE_REASONS.items():
            toggle = FitToggleButton(text=self.t(message), group="photo_reason")
            toggle.base_font_size = 15 * self.app.scale
            toggle.state = "down" if code == self._reason else "normal"
            toggle.bind(on_release=lambda b, c=code: self._choose_reason(b, c))
            box.add_widget(toggle)

    def _choose_reason(self, button: Any, code: str) -> None:
        self._reason = code if button.state == "down" else None

    def take(self) -> None:
        capture = self.app.capture
        assert capture is not None
        self.app.run_blocking(self.t(MSG_TAKING), capture.take_photo, self._taken, self._failed)

    def _taken(self, result: Any) -> None:
        self._error = None
        self._failing = [] if result.ok else list(result.failing)
        # kiosk.photo's outcome carries the precise msgid of each failing check.
        self._messages = [] if result.ok else list(getattr(result, "messages", None) or [])
        self._reason = None
        if result.ok:
            self.app.sync()
        else:
            self.refresh()

    def _failed(self, err: BaseException) -> None:
        self.show_error(err)

    def accept_anyway(self) -> None:
        capture = self.app.capture
        assert capture is not None
        reason = self._reason or ""
        self.attempt(capture.accept_photo_anyway, reason)

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")
