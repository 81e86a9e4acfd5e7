"""Operator: the resident signs on the pad; the ink goes to the flow as PNG bytes."""

from __future__ import annotations

from typing import Any

from ektp.i18n import N_
from kiosk.flow.errors import FlowError
from kiosk.ui.screens.base import KioskScreen

MIN_INK_POINTS = 5
MSG_EMPTY = N_("The signature is empty. Please sign again.")


class SignatureScreen(KioskScreen):
    def on_pre_enter(self, *args: Any) -> None:
        self.ids.pad.clear()
        super().on_pre_enter(*args)

    def clear(self) -> None:
        self.ids.pad.clear()
        self.show_error(None)

    def accept(self) -> None:
        capture = self.app.capture
        assert capture is not None
        pad = self.ids.pad
        if pad.points < MIN_INK_POINTS:
            self.show_error(FlowError(MSG_EMPTY, code="signature"))
            return
        self.attempt(capture.submit_signature, pad.export_png())

    def cancel(self) -> None:
        assert self.app.capture is not None
        self.attempt(self.app.capture.cancel, "operator")
