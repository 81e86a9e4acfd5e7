"""Resident: welcome (language choice) and service choice."""

from __future__ import annotations

from typing import Any

from kivy.properties import NumericProperty

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.fit import FitButton


class WelcomeScreen(KioskScreen):
    def begin(self, language: str) -> None:
        self.app.set_language(language)
        self.attempt(self.app.checkin.start, language)


class ServiceScreen(KioskScreen):
    choice_font = NumericProperty(24)

    def fill(self) -> None:
        box = self.ids.choices
        box.clear_widgets()
        for service in self.app.checkin.services:
            button = FitButton(text=self.app.service_words(service))
            button.base_font_size = 24 * self.app.scale
            button.bind(on_release=lambda _b, s=service: self.choose(s))
            box.add_widget(button)

    def choose(self, service: str) -> None:
        self.attempt(self.app.checkin.choose_service, service)

    def cancel(self, *_args: Any) -> None:
        self.attempt(self.app.checkin.cancel)
