"""The always-visible frame: top bar, offline and power banners, health corner, busy overlay.

Layout in ``kv/root.kv``; these classes only hold what the layout cannot.
"""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.modalview import ModalView


class KioskRoot(FloatLayout):
    """The window's root: ``ids.screens`` is the ScreenManager."""

    screens = ObjectProperty(None)


class BusyOverlay(FloatLayout):
    """Covers the screen while a device works; swallows touches, spins an arc."""

    message = StringProperty("")
    angle = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._spin: Animation | None = None
        self.fbind("message", self._on_message)

    def _on_message(self, *_args: Any) -> None:
        if self.message and self._spin is None:
            self._spin = Animation(angle=-360, duration=1.2)
            self._spin.bind(on_complete=self._again)
            self._spin.start(self)
        elif not self.message and self._spin is not None:
            self._spin.cancel(self)
            self._spin = None
            self.angle = 0

    def _again(self, *_args: Any) -> None:
        if self._spin is not None:
            self.angle = 0
            self._spin.start(self)

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.message)

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.message)

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.message)


class HealthPopup(ModalView):
    """The booth's devices and their state, opened from the health corner."""

    lines = ListProperty([])
