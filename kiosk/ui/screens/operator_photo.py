"""Operator: the photo with a live preview, a face-guide oval, the failing check in words.

Under the preview, the live guidance (``kiosk.photo.live.LiveGuide``, on its own thread)
gives the resident the most useful instruction, Indonesian then English, and says it; the
operator sees every failing check. The clock callback only reads the newest verdict.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from ektp.i18n import N_
from kiosk.photo.guidance import RESIDENT_LANGUAGES, in_languages
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.spoken_guidance import GuidanceVoice
from kiosk.ui.texts import PHOTO_CHECKS, PHOTO_OVERRIDE_REASONS, tr, words
from kiosk.ui.widgets.fit import FitToggleButton

PREVIEW_FPS = 10
GUIDE_FPS = 5
MSG_TAKING = N_("Taking the photo: look at the camera…")
MSG_NO_CAMERA = N_("No camera picture yet.")
MSG_HOLD_STILL = N_("Good: stay like this")


class PhotoScreen(KioskScreen):
    preview_texture = ObjectProperty(None, allownone=True)
    failing_text = StringProperty("")
    can_override = BooleanProperty(False)
    camera_note = StringProperty("")
    guide_text = StringProperty("")
    """The resident's instruction from the live guidance: Indonesian, then English."""
    live_checks_text = StringProperty("")
    """Every check the newest preview frame fails, for the operator."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failing: list[str] = []
        self._messages: list[str] = []
        self._instructions: list[str] = []
        self._reason: str | None = None
        self._preview_event: Any = None
        self._guide_event: Any = None
        self._voice: GuidanceVoice | None = None

    def on_pre_enter(self, *args: Any) -> None:
        self._failing = []
        self._messages = []
        self._instructions = []
        self._reason = None
        super().on_pre_enter(*args)
        self._preview_event = Clock.schedule_interval(self._update_preview, 1 / PREVIEW_FPS)
        self._update_preview(0)
        if self._voice is not None:
            self._voice.forget()
        self._start_guide()

    def on_leave(self, *_args: Any) -> None:
        if self._preview_event is not None:
            self._preview_event.cancel()
            self._preview_event = None
        self._stop_guide()

    def _start_guide(self) -> None:
        guide, capture = self.app.photo_guide, self.app.capture
        self.guide_text = self.live_checks_text = ""
        if self.manager is not None and self.manager.current != self.name:
            return  # the step ended (e.g. the booth locked) while the photo was taken
        background = capture.required_photo_background if capture is not None else None
        if guide is None or background is None:
            return
        guide.start(background)
        if self._guide_event is None:
            self._guide_event = Clock.schedule_interval(self._update_guide, 1 / GUIDE_FPS)

    def _stop_guide(self, *, wait: bool = True) -> None:
        """Stop showing the guidance; with ``wait``, also stop its thread (which finishes
        the frame it is judging: a few milliseconds)."""
        if self._guide_event is not None:
            self._guide_event.cancel()
            self._guide_event = None
        if wait and self.app.photo_guide is not None:
            self.app.photo_guide.stop()

    def _update_guide(self, _dt: float) -> None:
        """Show (and say) the newest verdict; never waits for the guide's thread."""
        if App.get_running_app() is None:  # the app stopped with the photo screen shown
            return
        guide = self.app.photo_guide
        verdict = guide.latest() if guide is not None else None
        if verdict is None:
            return
        first = verdict.instructions[:1]
        message = first[0] if first else MSG_HOLD_STILL
        self.guide_text = "\n".join(in_languages(message))
        lang = self.app.lang
        self.live_checks_text = "\n".join(tr(c.message_msgid, lang) for c in verdict.failing)
        if first:
            self._say(first[0])

    def _say(self, message: str) -> None:
        speaker = self.app.voice
        if speaker is None:
            return
        if self._voice is None:
            self._voice = GuidanceVoice(speaker)
        language = RESIDENT_LANGUAGES[0]
        self._voice.say(tr(message, language), language)

    def _update_preview(self, _dt: float) -> None:
        if App.get_running_app() is None:  # the app stopped with the photo screen shown
            return
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
        # What the resident should do first, in Indonesian then English; then every check.
        first = in_languages(self._instructions[0]) if self._instructions else []
        self.failing_text = "\n".join([*first, *failing])
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
        guide = self.app.photo_guide
        self._stop_guide(wait=False)

        def take_photo() -> Any:  # the burst has the camera and the face models to itself
            if guide is not None:
                guide.stop()
            return capture.take_photo()

        self.app.run_blocking(self.t(MSG_TAKING), take_photo, self._taken, self._failed)

    def _taken(self, result: Any) -> None:
        self._error = None
        self._failing = [] if result.ok else list(result.failing)
        # kiosk.photo's outcome carries the precise msgid of each failing check.
        self._messages = [] if result.ok else list(getattr(result, "messages", None) or [])
        self._instructions = [] if result.ok else list(getattr(result, "instructions", None) or [])
        self._reason = None
        if self._instructions:
            self._say(self._instructions[0])
        if result.ok:
            self.app.sync()
        else:
            self.refresh()
            self._start_guide()

    def _failed(self, err: BaseException) -> None:
        self.show_error(err)
        self._start_guide()

    def accept_anyway(self) -> None:
        capture = self.app.capture
        assert capture is not None
        reason = self._reason or ""
        self.attempt(capture.accept_photo_anyway, reason)

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")
