"""Operator: locked booth (insert card) and the PIN pad."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from ektp.i18n import N_
from kiosk.ui.screens.base import KioskScreen, after_pad_key

MSG_CHECKING_PIN = N_("Checking the PIN on the card…")
PIN_MAX = 8


class LockScreen(KioskScreen):
    paused = BooleanProperty(False)

    def fill(self) -> None:
        capture = self.app.capture
        self.paused = bool(capture and capture.parked_step)

    def resident_side(self) -> None:
        self.app.open_resident_side()

    def demo_insert_card(self) -> None:
        self.app.card_inserted()


class PinScreen(KioskScreen):
    dots = StringProperty("")
    training_available = BooleanProperty(False)
    training_chosen = BooleanProperty(False)
    """The operator chose "Latihan" (practice) instead of "Perekaman" (recording)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pin = ""

    def on_pre_enter(self, *args: Any) -> None:
        self._pin = ""
        self.training_chosen = False
        super().on_pre_enter(*args)

    def choose_training(self, chosen: bool) -> None:
        self.training_chosen = chosen and self.training_available

    def fill(self) -> None:
        self.dots = " ".join("●" for _ in self._pin)
        training = self.app.training
        self.training_available = training is not None and not self.app.training_active

    def on_key(self, key: str) -> None:
        self._pin = after_pad_key(self._pin, key, PIN_MAX)
        self.fill()

    def submit(self) -> None:
        capture = self.app.capture
        if capture is None or not self._pin:
            return
        pin, self._pin = self._pin, ""
        self.fill()
        training = self.app.training
        if self.training_chosen and training is not None:
            training.log_in(self.app, pin, self.show_error)
            return
        self.app.run_blocking(
            self.t(MSG_CHECKING_PIN),
            lambda: capture.enter_pin(pin),
            lambda _result: self.app.sync(),
            self.show_error,
        )

    def cancel(self) -> None:
        capture = self.app.capture
        if capture is not None:
            capture.lock("pin_cancelled")
        self.app.sync()
