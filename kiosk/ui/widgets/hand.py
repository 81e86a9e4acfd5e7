"""Two hands, backs up as the resident lays them on the sensor, each finger coloured by state.

``states`` maps a finger name (``right_index`` …) to ``pending``, ``captured``,
``retried`` or ``exception``; ``current`` is outlined. Tapping a finger fires
``on_finger(name)`` (the operator chooses a finger to retake or to mark).
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.properties import DictProperty, StringProperty
from kivy.uix.widget import Widget

STATE_COLOURS = {
    "pending": (0.78, 0.79, 0.82, 1),
    "captured": (0.18, 0.62, 0.29, 1),
    "retried": (0.95, 0.62, 0.09, 1),
    "exception": (0.80, 0.24, 0.24, 1),
}
CURRENT_OUTLINE = (0.10, 0.35, 0.95, 1)
PALM_COLOUR = (0.90, 0.86, 0.80, 1)

# (finger, x of the finger's left edge, width, height) in a hand box of 1×1; the palm
# spans y 0–0.42. The thumb sits lower, beside the palm.
_LEFT_HAND = (
    ("left_little", 0.16, 0.13, 0.32),
    ("left_ring", 0.31, 0.14, 0.44),
    ("left_middle", 0.47, 0.14, 0.50),
    ("left_index", 0.63, 0.14, 0.44),
)
_RIGHT_HAND = (
    ("right_index", 0.23, 0.14, 0.44),
    ("right_middle", 0.39, 0.14, 0.50),
    ("right_ring", 0.55, 0.14, 0.44),
    ("right_little", 0.71, 0.13, 0.32),
)
PALM_TOP = 0.42


class HandDiagram(Widget):
    states = DictProperty({})
    current = StringProperty("")

    __events__ = ("on_finger",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finger_boxes: dict[str, tuple[float, float, float, float]] = {}
        for name in ("pos", "size", "states", "current"):
            self.fbind(name, self._redraw)

    def _hand_boxes(self) -> list[tuple[float, float, float, float, bool]]:
        gap = self.width * 0.04
        side = min((self.width - gap) / 2, self.height)
        y = self.y + (self.height - side) / 2
        x0 = self.center_x - gap / 2 - side
        return [(x0, y, side, side, True), (self.center_x + gap / 2, y, side, side, False)]

    def _redraw(self, *_args: Any) -> None:
        self.canvas.clear()
        self.finger_boxes = {}
        with self.canvas:
            for hx, hy, hw, hh, is_left in self._hand_boxes():
                Color(*PALM_COLOUR)
                RoundedRectangle(
                    pos=(hx + 0.16 * hw, hy), size=(0.61 * hw, PALM_TOP * hh), radius=[hw * 0.08]
                )
                fingers = _LEFT_HAND if is_left else _RIGHT_HAND
                for name, fx, fw, fh in fingers:
                    self._finger(name, hx + fx * hw, hy + PALM_TOP * hh * 0.92, fw * hw, fh * hh)
                thumb = "left_thumb" if is_left else "right_thumb"
                thumb_x = hx + (0.79 if is_left else 0.03) * hw
                self._finger(thumb, thumb_x, hy + 0.08 * hh, 0.17 * hw, 0.28 * hh)

    def _finger(self, name: str, x: float, y: float, w: float, h: float) -> None:
        self.finger_boxes[name] = (x, y, w, h)
        state = self.states.get(name, "pending")
        Color(*STATE_COLOURS.get(state, STATE_COLOURS["pending"]))
        RoundedRectangle(pos=(x, y), size=(w, h), radius=[w * 0.45])
        if name == self.current:
            Color(*CURRENT_OUTLINE)
            Line(rounded_rectangle=(x - 3, y - 3, w + 6, h + 6, w * 0.45), width=3)

    def finger_at(self, x: float, y: float) -> str | None:
        for name, (fx, fy, fw, fh) in self.finger_boxes.items():
            if fx <= x <= fx + fw and fy <= y <= fy + fh:
                return name
        return None

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        name = self.finger_at(*touch.pos)
        if name is not None and name in self.states:
            self.dispatch("on_finger", name)
            return True
        return False

    def on_finger(self, name: str) -> None:
        """Default handler; the screen binds its own."""
