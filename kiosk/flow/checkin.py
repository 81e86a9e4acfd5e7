"""Resident check-in at the booth, alone: service → NIK → KK → confirm name → documents → ticket.

A resident who walks away is forgotten: after ``idle_seconds`` without a touch the
flow returns to the welcome step and drops everything typed. Every step is audited
with a masked NIK only.

The NIK and KK are checked against the region table (``ektp.regions``): a province,
regency or district that does not exist is refused in plain words. A NIK from another
district is accepted here; the sealed record carries the ``foreign_region`` review flag
(``kiosk.flow.session``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ektp.i18n import N_
from ektp.kk import Kk, parse_kk
from ektp.nik import Nik, format_masked, parse_nik
from ektp.regions import RegionTable
from ektp.resident import mask_name
from kiosk.flow.errors import FlowError, WrongStep
from kiosk.flow.ports import AuditSink, CheckIn, Clock, Roster, RosterEntry, Ticket, TicketDesk
from kiosk.flow.ports import monotonic as default_clock
from kiosk.flow.stages import NO_STAGES, Stage, StageSink, visit_fields


class CheckInStep(StrEnum):
    WELCOME = "welcome"
    SERVICE = "service"
    NIK = "nik"
    KK = "kk"
    CONFIRM = "confirm"
    DOCUMENTS = "documents"
    TICKET = "ticket"
    ALREADY_RECORDED = "already_recorded"
    SEE_OPERATOR = "see_operator"


@dataclass
class _Answers:
    service: str | None = None
    nik: str | None = None
    kk: str | None = None
    entry: RosterEntry | None = None
    priority: bool = False


class CheckInFlow:
    """The resident check-in state machine."""

    def __init__(
        self,
        *,
        roster: Roster,
        tickets: TicketDesk,
        audit: AuditSink,
        documents_for: Callable[[str], Sequence[str]],
        services: Sequence[str],
        today: Callable[[], date] = date.today,
        clock: Clock = default_clock,
        idle_seconds: float = 90.0,
        new_recording_service: str = "new_recording",
        regions: RegionTable | None = None,
        stages: StageSink = NO_STAGES,
    ) -> None:
        self._stages = stages
        self._roster = roster
        self._tickets = tickets
        self._audit = audit
        self._documents_for = documents_for
        self._services = tuple(services)
        self._today = today
        self._clock = clock
        self.idle_seconds = idle_seconds
        self._new_recording_service = new_recording_service
        self._regions = regions if regions is not None else RegionTable.bundled()
        self.language = "id"
        self.step = CheckInStep.WELCOME
        self.ticket: Ticket | None = None
        self._answers = _Answers()
        self._last_touch = clock()

    # -- what the screens read -------------------------------------------------------
    @property
    def services(self) -> tuple[str, ...]:
        return self._services

    @property
    def masked_name(self) -> str | None:
        entry = self._answers.entry
        return mask_name(entry.name) if entry else None

    @property
    def in_roster(self) -> bool:
        return self._answers.entry is not None

    @property
    def documents(self) -> tuple[str, ...]:
        service = self._answers.service
        return tuple(self._documents_for(service)) if service else ()

    @property
    def recorded_entry(self) -> RosterEntry | None:
        """The roster entry when the resident was already recorded (ALREADY_RECORDED)."""
        return self._answers.entry if self.step is CheckInStep.ALREADY_RECORDED else None

    def check_nik(self, text: str) -> Nik:
        """Parse a NIK as :meth:`enter_nik` would, without moving (the screen's live hint)."""
        return parse_nik(text.strip(), today=self._today(), regions=self._regions)

    def check_kk(self, text: str) -> Kk:
        """Parse a KK as :meth:`enter_kk` would, without moving (the screen's live hint)."""
        return parse_kk(text.strip(), today=self._today(), regions=self._regions)

    # -- steps -----------------------------------------------------------------------
    def start(self, language: str = "id", *, priority: bool = False) -> None:
        self._expect(CheckInStep.WELCOME)
        self.language = language
        self._answers = _Answers(priority=priority)
        self._go(CheckInStep.SERVICE, language=language)

    def choose_service(self, service: str) -> None:
        self._expect(CheckInStep.SERVICE)
        if service not in self._services:
            raise FlowError(N_("This service is not offered here."), code="unknown_service")
        self._answers.service = service
        self._go(CheckInStep.NIK, service=service)

    def enter_nik(self, text: str) -> None:
        """Validate the NIK; a ValidationError says in plain words what is wrong."""
        self._expect(CheckInStep.NIK)
        nik = self.check_nik(text)
        self._answers.nik = nik.digits
        entry = self._roster.find(nik.digits)
        self._answers.entry = entry
        if entry is not None and entry.recorded_on is not None and self._is_new_recording():
            self._go(CheckInStep.ALREADY_RECORDED, nik=format_masked(nik.digits))
            return
        self._go(CheckInStep.KK, nik=format_masked(nik.digits), in_roster=entry is not None)

    def enter_kk(self, text: str) -> None:
        self._expect(CheckInStep.KK)
        kk = self.check_kk(text)
        entry = self._answers.entry
        if entry is not None and not entry.kk_matches(kk.digits):
            self._touch()
            raise FlowError(
                N_("This KK number is not the family card on record for this NIK."),
                code="kk_mismatch",
            )
        self._answers.kk = kk.digits
        self._go(CheckInStep.CONFIRM if entry else CheckInStep.DOCUMENTS)

    def confirm_name(self, is_me: bool) -> None:
        self._expect(CheckInStep.CONFIRM)
        if not is_me:
            self._go(CheckInStep.SEE_OPERATOR, reason="name_not_confirmed")
            return
        self._go(CheckInStep.DOCUMENTS)

    def accept_documents(self) -> Ticket:
        """The resident has read which documents to show: queue them and give the ticket."""
        self._expect(CheckInStep.DOCUMENTS)
        answers = self._answers
        if not (answers.service and answers.nik and answers.kk):
            raise WrongStep(N_("Please finish the current step first."), at=str(self.step))
        entry = answers.entry
        checkin = CheckIn(
            service=answers.service,
            nik=answers.nik,
            kk=answers.kk,
            name=entry.name if entry else "",
            kelurahan=entry.kelurahan if entry else "",
            in_roster=entry is not None,
            documents=self.documents,
            language=self.language,
            priority=answers.priority,
        )
        self.ticket = self._tickets.issue(checkin)
        self._stages.record(Stage.CHECK_IN, **visit_fields(self.ticket), priority=answers.priority)
        self._go(CheckInStep.TICKET, ticket=self.ticket.number)
        return self.ticket

    def back(self) -> None:
        order = [CheckInStep.SERVICE, CheckInStep.NIK, CheckInStep.KK]
        if self.step in order[1:]:
            self._go(order[order.index(self.step) - 1])
        elif self.step in (CheckInStep.CONFIRM, CheckInStep.DOCUMENTS):
            self._go(CheckInStep.KK)

    def finish(self) -> None:
        """Done (ticket taken, or the resident read the message): back to welcome."""
        self._reset("checkin.finished")

    def cancel(self) -> None:
        self._reset("checkin.cancelled")

    def tick(self) -> bool:
        """Call regularly; returns True when idleness sent the flow back to welcome."""
        idle = self._clock() - self._last_touch
        if self.step is not CheckInStep.WELCOME and idle >= self.idle_seconds:
            self._reset("checkin.timeout")
            return True
        return False

    # -- internals -------------------------------------------------------------------
    def _is_new_recording(self) -> bool:
        return self._answers.service == self._new_recording_service

    def _expect(self, step: CheckInStep) -> None:
        if self.step is not step:
            raise WrongStep(
                N_("Please finish the current step first."), expected=str(step), at=str(self.step)
            )
        self._touch()

    def _touch(self) -> None:
        self._last_touch = self._clock()

    def _go(self, step: CheckInStep, **fields: object) -> None:
        self._audit.append(f"checkin.{step}", previous=str(self.step), **fields)
        self.step = step
        self._touch()

    def _reset(self, event: str) -> None:
        self._audit.append(event, at_step=str(self.step))
        self.step = CheckInStep.WELCOME
        self._answers = _Answers()
        self.ticket = None
        self.language = "id"
        self._touch()
