"""A signature pad: draw with a finger or stylus, export the ink as PNG bytes."""

from __future__ import annotations

import io
from typing import Any

from kivy.graphics import Color, Line, Rectangle
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

INK = (0.05, 0.08, 0.35, 1)
PAPER = (1, 1, 1, 1)


class SignaturePad(Widget):
    """Strokes are kept as point lists in widget coordinates; ``points`` counts them."""

    points = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._strokes: list[list[float]] = []
        self.fbind("pos", self._redraw)
        self.fbind("size", self._redraw)

    def clear(self) -> None:
        self._strokes = []
        self.points = 0
        self._redraw()

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        self._strokes.append([touch.x - self.x, touch.y - self.y])
        self._redraw()
        return True

    def on_touch_move(self, touch: Any) -> bool:
        if touch.grab_current is not self:
            return False
        x = min(max(touch.x, self.x), self.right) - self.x
        y = min(max(touch.y, self.y), self.top) - self.y
        self._strokes[-1].extend((x, y))
        self.points += 1
        self._redraw()
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return False

    def _redraw(self, *_args: Any) -> None:
        self.canvas.clear()
        with self.canvas:
            Color(*PAPER)
            Rectangle(pos=self.pos, size=self.size)
            Color(*INK)
            for stroke in self._strokes:
                shifted = [v + (self.x if i % 2 == 0 else self.y) for i, v in enumerate(stroke)]
                if len(shifted) >= 4:
                    Line(points=shifted, width=2.5)

    def export_png(self) -> bytes:
        """The pad as a PNG (white paper, dark ink), rendered off-screen through an Fbo."""
        image = self.export_as_image()
        buffer = io.BytesIO()
        image.save(buffer, fmt="png")
        return buffer.getvalue()
