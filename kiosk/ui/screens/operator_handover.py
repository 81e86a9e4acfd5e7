"""Operator: hand the printed e-KTP to its owner (insert card, read it, match a finger)."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from ektp.i18n import N_
from hardware.errors import CardError
from kiosk.flow.errors import FlowError
from kiosk.handover import MSG_NOT_A_KTP, HandoverStep
from kiosk.ui.screens.base import KioskScreen

MSG_READING = N_("Reading the card…")
MSG_PLACE = N_("Resident: place your index finger on the sensor.")
MSG_TRIES_LEFT = N_("Tries left: {tries_left}")
MSG_GIVE = N_("Give the card to {name}. The hand-over is recorded.")


class HandoverScreen(KioskScreen):
    """One screen for the whole hand-over; ``step`` (the flow's step) picks what shows."""

    step = StringProperty("idle")
    resident_text = StringProperty("")
    tries_text = StringProperty("")
    outcome_text = StringProperty("")

    @property
    def flow(self) -> Any:
        return self.app.handover

    def fill(self) -> None:
        flow = self.flow
        if flow is None:
            return
        self.step = str(flow.step)
        card = flow.card
        self.resident_text = f"{card.name}  ·  NIK {flow.masked_nik}" if card else ""
        self.tries_text = (
            self.t(MSG_TRIES_LEFT).format(tries_left=flow.tries_left)
            if flow.step is HandoverStep.VERIFY
            else ""
        )
        if flow.step is HandoverStep.DELIVERED and card is not None:
            self.outcome_text = self.t(MSG_GIVE).format(name=card.name)
        elif flow.step is HandoverStep.REFUSED:
            self.outcome_text = flow.no_match_error().localized(self.app.lang)
        else:
            self.outcome_text = ""

    def card_inserted(self) -> None:
        """The reader saw a card: read it if the hand-over waits for one."""
        if self.flow is not None and self.flow.step is HandoverStep.INSERT_CARD:
            self.read_card()

    def read_card(self) -> None:
        flow = self.flow
        if flow is None or self.app.busy:
            return
        self._error = None
        self.app.run_blocking(
            self.t(MSG_READING), flow.read_card, lambda _card: self._done(), self._unreadable
        )

    def _unreadable(self, err: BaseException) -> None:
        if isinstance(err, CardError):
            err = FlowError(MSG_NOT_A_KTP, code="not_a_ktp")
        self.show_error(err)

    def verify(self) -> None:
        flow = self.flow
        if flow is None or self.app.busy:
            return
        self._error = None
        self.app.run_blocking(self.t(MSG_PLACE), flow.verify_finger, self._verdict, self.show_error)

    def _verdict(self, verdict: Any) -> None:
        if verdict.matched or self.flow.step is HandoverStep.REFUSED:
            self._done()
        else:
            self.show_error(self.flow.no_match_error())

    def _done(self) -> None:
        self._error = None
        self.refresh()

    def close(self) -> None:
        self.app.close_handover()
