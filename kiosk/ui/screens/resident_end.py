"""Resident: confirm the masked name, documents to show, ticket, already recorded, see operator."""

from __future__ import annotations

from kivy.properties import StringProperty

from ektp.i18n import N_
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.texts import CARD_STATUSES, words

MSG_WAIT = N_("Estimated wait: about {minutes} minutes.")
MSG_RECORDED_ON = N_("Your recording was done on {date}.")


class ConfirmScreen(KioskScreen):
    masked_name = StringProperty("")

    def fill(self) -> None:
        self.masked_name = self.app.checkin.masked_name or ""

    def answer(self, is_me: bool) -> None:
        self.attempt(self.app.checkin.confirm_name, is_me)

    def back(self) -> None:
        self.attempt(self.app.checkin.back)


class DocumentsScreen(KioskScreen):
    documents_text = StringProperty("")

    def fill(self) -> None:
        names = [self.app.document_words(d) for d in self.app.checkin.documents]
        self.documents_text = "\n".join(f"•  {name}" for name in names)

    def accept(self) -> None:
        self.attempt(self.app.checkin.accept_documents)

    def back(self) -> None:
        self.attempt(self.app.checkin.back)


class TicketScreen(KioskScreen):
    number = StringProperty("")
    wait_text = StringProperty("")

    def fill(self) -> None:
        ticket = self.app.checkin.ticket
        self.number = ticket.number if ticket else ""
        minutes = ticket.estimated_wait_minutes if ticket else None
        self.wait_text = self.t(MSG_WAIT).format(minutes=minutes) if minutes is not None else ""

    def done(self) -> None:
        self.attempt(self.app.checkin.finish)


class AlreadyRecordedScreen(KioskScreen):
    recorded_text = StringProperty("")
    card_text = StringProperty("")

    def fill(self) -> None:
        entry = self.app.checkin.recorded_entry
        if entry is None or entry.recorded_on is None:
            self.recorded_text = self.card_text = ""
            return
        self.recorded_text = self.t(MSG_RECORDED_ON).format(
            date=entry.recorded_on.strftime("%d-%m-%Y")
        )
        status = entry.card_status
        self.card_text = words(CARD_STATUSES, status, self.app.lang) if status else ""

    def done(self) -> None:
        self.attempt(self.app.checkin.finish)


class SeeOperatorScreen(KioskScreen):
    def done(self) -> None:
        self.attempt(self.app.checkin.finish)
