"""Labels and buttons whose text always fits their box.

Indonesian sentences run longer than English ones, and the booth runs at 800×480 as
well as 1280×800: instead of clipping, the text wraps to the box's width and the font
shrinks step by step (down to ``min_font_size``) until the wrapped text fits.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.togglebutton import ToggleButton

SHRINK_STEP = 0.9


class FitTextMixin:
    """Mixed into a Label subclass: wrap to the width, shrink the font to fit the height."""

    base_font_size = NumericProperty(20)
    min_font_size = NumericProperty(9)
    wrap = BooleanProperty(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        fbind = self.fbind  # type: ignore[attr-defined]
        for name in ("text", "size", "base_font_size", "padding", "wrap", "bold"):
            fbind(name, self._fit_trigger)

    def _fit(self, *_args: Any) -> None:
        label: Any = self
        later = _hidden_screen_fits(label)
        if later is not None:  # its screen fits it when shown: a cold start fits one screen
            later.add(self._fit_trigger)
            return
        pad_x = label.padding[0] + label.padding[2]
        label.text_size = (max(1.0, label.width - pad_x), None) if self.wrap else (None, None)
        size = float(self.base_font_size)
        while True:
            label.font_size = size
            label.texture_update()
            tex_w, tex_h = label.texture_size
            fits = tex_w <= label.width + 0.5 and tex_h <= label.height + 0.5
            if fits or size <= self.min_font_size:
                return
            size = max(float(self.min_font_size), size * SHRINK_STEP)


def _hidden_screen_fits(widget: Any) -> set[Any] | None:
    """The ``pending_fits`` of the screen holding ``widget`` if that screen is not the one
    shown (None: shown, or not on a screen that fits later)."""
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        pending = getattr(parent, "pending_fits", None)
        if pending is not None:
            manager = parent.manager
            return pending if manager is not None and manager.current != parent.name else None
        parent = parent.parent
    return None


class FitLabel(FitTextMixin, Label):
    """A Label that wraps and shrinks to fit."""


class FitButton(FitTextMixin, Button):
    """A Button whose caption wraps and shrinks to fit."""


class FitToggleButton(FitTextMixin, ToggleButton):
    """A ToggleButton whose caption wraps and shrinks to fit."""
