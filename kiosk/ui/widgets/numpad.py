"""A large on-screen number pad: digits, delete one, clear all.

Fires ``on_key(key)`` with ``"0"``–``"9"``, ``"delete"`` or ``"clear"``. The captions of
the two word keys come from the screen (translated), through ``delete_text`` and
``clear_text``.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.gridlayout import GridLayout

from kiosk.ui.widgets.fit import FitButton

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete")


class NumberPad(GridLayout):
    delete_text = StringProperty("⌫")
    clear_text = StringProperty("C")
    key_font_size = NumericProperty(32)

    __events__ = ("on_key",)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cols", 3)
        super().__init__(**kwargs)
        self.keys: dict[str, FitButton] = {}
        for key in KEYS:
            button = FitButton(text=key if key.isdigit() else "", wrap=False)
            button.bind(on_release=lambda _b, k=key: self.dispatch("on_key", k))
            self.keys[key] = button
            self.add_widget(button)
        self.fbind("delete_text", self._captions)
        self.fbind("clear_text", self._captions)
        self.fbind("key_font_size", self._captions)
        self._captions()

    def _captions(self, *_args: Any) -> None:
        self.keys["delete"].text = self.delete_text
        self.keys["clear"].text = self.clear_text
        for key, button in self.keys.items():
            button.base_font_size = (
                self.key_font_size if key.isdigit() else self.key_font_size * 0.6
            )

    def on_key(self, key: str) -> None:
        """Default handler; screens bind their own."""
