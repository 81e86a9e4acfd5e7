"""Resident: NIK and KK typed on the number pad, checked as they type by the check-in
flow's own parser (digits, date, and the region code against the region table)."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from ektp.errors import RekamError
from ektp.i18n import N_
from kiosk.ui.screens.base import KioskScreen, after_pad_key

NUMBER_LENGTH = 16
MSG_PROGRESS = N_("{count} of 16 digits")
MSG_LOOKS_RIGHT = N_("The number looks right. Press Next.")


class NumberEntryScreen(KioskScreen):
    """16 digits on the pad; once all are in, the parser says in plain words what is wrong."""

    digits = StringProperty("")
    shown = StringProperty("")
    hint_text = StringProperty("")
    valid = BooleanProperty(False)

    def on_pre_enter(self, *args: Any) -> None:
        self.digits = ""
        super().on_pre_enter(*args)

    def on_key(self, key: str) -> None:
        self.digits = after_pad_key(self.digits, key, NUMBER_LENGTH)
        self._error = None
        if len(self.digits) == NUMBER_LENGTH:
            try:
                self.parse(self.digits)
            except RekamError as err:
                self._error = err
        self.refresh()

    def fill(self) -> None:
        padded = self.digits.ljust(NUMBER_LENGTH, "_")
        self.shown = " ".join(padded[i : i + 4] for i in range(0, NUMBER_LENGTH, 4))
        self.valid = len(self.digits) == NUMBER_LENGTH and self._error is None
        if self._error is not None:
            self.hint_text = ""
        elif self.valid:
            self.hint_text = self.t(MSG_LOOKS_RIGHT)
        else:
            self.hint_text = self.t(MSG_PROGRESS).format(count=len(self.digits))

    def parse(self, digits: str) -> object:
        """Raise the flow's ValidationError when ``digits`` is not a good number."""
        raise NotImplementedError

    def submit(self) -> None:
        raise NotImplementedError

    def back(self) -> None:
        self.attempt(self.app.checkin.back)

    def cancel(self) -> None:
        self.attempt(self.app.checkin.cancel)


class NikScreen(NumberEntryScreen):
    def parse(self, digits: str) -> object:
        return self.app.checkin.check_nik(digits)

    def submit(self) -> None:
        self.attempt(self.app.checkin.enter_nik, self.digits)


class KkScreen(NumberEntryScreen):
    def parse(self, digits: str) -> object:
        return self.app.checkin.check_kk(digits)

    def submit(self) -> None:
        self.attempt(self.app.checkin.enter_kk, self.digits)
