"""Operator training ("Latihan"): the whole capture flow on the booth's devices, with
practice residents, scored, and with no way to reach the outbox, the queue or the
office statistics.

The guarantee is structural. A practice session is its own
:class:`~kiosk.flow.capture.CaptureFlow`, built here with:

* :class:`PracticeTicketDesk` — practice residents from a fixed training roster
  (fictitious NIKs of the non-existent region ``999999``, names marked "LATIHAN");
  it never talks to the edge queue and nobody checks in;
* :class:`PracticeSealer` — no encryption, no key, and it keeps nothing: the
  photo, templates and signature are dropped the moment the trainee saves;
* :class:`PracticeSink` — the flow's "outbox": it only counts saves;
* a :class:`~kiosk.training.score.TrainingScorer` as the audit sink, which turns the
  flow's step events into times, retries and quality.

None of these holds a reference to the outbox, the uplink or the office queue, so no
code path in the practice flow can write there. Only the finished score leaves the
booth: the :class:`TrainingDesk` hands it to the outbox's message table (never as a
packet) for ``booths/<id>/training`` (:mod:`kiosk.training.store`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ektp.messages import TrainingResultMessage
from ektp.nik import Sex, build_nik
from ektp.record import EnrollmentRecord
from ektp.services import ServiceType
from kiosk.config.booth import BoothConfig
from kiosk.flow.capture import CaptureFlow
from kiosk.flow.ports import AuditSink, CheckIn, Ticket, TicketDesk
from kiosk.flow.session import OutboxWriter, SealedRecord, Sealer
from kiosk.outbox.errors import OutboxFull
from kiosk.outbox.records import Send
from kiosk.training.score import DEFAULT_TARGET_SECONDS, TrainingScorer
from kiosk.training.store import TrainingResultStore, training_sendable

log = logging.getLogger(__name__)


PRACTICE_REGION = "999999"
"""No such province: a practice NIK can never be a resident's."""
PRACTICE_KELURAHAN = "Desa Latihan"
PRACTICE_TICKET_PREFIX = "L"


@dataclass(frozen=True)
class PracticeResident:
    nik: str
    kk: str
    name: str


def practice_residents() -> tuple[PracticeResident, ...]:
    """The training roster: five fictitious adult residents."""
    people = [
        ("LATIHAN Ani Lestari", dt.date(1990, 2, 14), Sex.FEMALE),
        ("LATIHAN Budi Santoso", dt.date(1985, 7, 2), Sex.MALE),
        ("LATIHAN Citra Dewi", dt.date(2001, 11, 23), Sex.FEMALE),
        ("LATIHAN Dedi Kurniawan", dt.date(1972, 5, 9), Sex.MALE),
        ("LATIHAN Eka Putri", dt.date(1998, 1, 30), Sex.FEMALE),
    ]
    return tuple(
        PracticeResident(
            nik=build_nik(PRACTICE_REGION, born, sex, 9000 + serial),
            kk=PRACTICE_REGION + "0101209" + f"{serial:03d}",
            name=name,
        )
        for serial, (name, born, sex) in enumerate(people, start=1)
    )


def is_practice_nik(nik: str) -> bool:
    return nik.startswith(PRACTICE_REGION)


class PracticeTicketDesk:
    """Practice tickets L-001, L-002… over the training roster, in turn, without end."""

    def __init__(
        self,
        documents_for: Callable[[str], Sequence[str]],
        residents: Sequence[PracticeResident] | None = None,
    ) -> None:
        self._documents_for = documents_for
        self._residents = tuple(residents or practice_residents())
        self.called = 0

    def issue(self, checkin: CheckIn) -> Ticket:
        """Practice has no check-in: a ticket is made on the spot, queued nowhere."""
        self.called += 1
        return Ticket(number=f"{PRACTICE_TICKET_PREFIX}-{self.called:03d}", checkin=checkin)

    def call_next(self, booth_id: str) -> Ticket | None:
        resident = self._residents[self.called % len(self._residents)]
        service = str(ServiceType.NEW_RECORDING)
        checkin = CheckIn(
            service=service,
            nik=resident.nik,
            kk=resident.kk,
            name=resident.name,
            kelurahan=PRACTICE_KELURAHAN,
            in_roster=True,
            documents=tuple(self._documents_for(service)),
        )
        return self.issue(checkin)


class PracticeSealer:
    """Seals nothing: biometrics of a practice resident are not kept anywhere."""

    def seal(self, record: EnrollmentRecord, parts: Mapping[str, bytes]) -> SealedRecord:
        del parts  # photo, templates, signature: dropped here, by design
        return SealedRecord(
            packet_id=f"latihan-{uuid.uuid4()}", data=b"", outbox_meta={"ticket": record.ticket}
        )


class PracticeSink:
    """The practice flow's "outbox": counts saves, stores nothing."""

    def __init__(self) -> None:
        self.saved = 0

    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None:
        del packet_id, sealed, meta
        self.saved += 1


class FlowFactory(Protocol):
    """Builds a capture flow over the booth's devices with the given practice parts."""

    def __call__(
        self, *, tickets: TicketDesk, sealer: Sealer, outbox: OutboxWriter, audit: AuditSink
    ) -> CaptureFlow: ...


def capture_flow_factory(**capture_options: Any) -> FlowFactory:
    """A :class:`FlowFactory` for ``CaptureFlow(**capture_options, tickets=…, …)``.

    ``capture_options`` are the booth's own (login, photo, sensor, fingers, …) and must
    not name ``tickets``, ``sealer``, ``outbox`` or ``audit``: those are practice parts.
    """
    reserved = {"tickets", "sealer", "outbox", "audit"} & capture_options.keys()
    if reserved:
        raise ValueError(f"a practice flow gets its own {sorted(reserved)}")

    def make(
        *, tickets: TicketDesk, sealer: Sealer, outbox: OutboxWriter, audit: AuditSink
    ) -> CaptureFlow:
        return CaptureFlow(
            **capture_options, tickets=tickets, sealer=sealer, outbox=outbox, audit=audit
        )

    return make


@dataclass
class TrainingSession:
    """One operator's practice: its own capture flow, and the scorer watching it."""

    flow: CaptureFlow
    scorer: TrainingScorer
    sink: PracticeSink
    operator_id: str
    operator_name: str
    started_at: dt.datetime


class TrainingDesk:
    """Opens practice sessions on this booth and keeps their results until sent."""

    def __init__(
        self,
        *,
        booth_id: str,
        make_flow: FlowFactory,
        documents_for: Callable[[str], Sequence[str]],
        audit: AuditSink,
        store: TrainingResultStore,
        send: Send | None = None,
        clock: Callable[[], float] = time.monotonic,
        target_seconds: float = DEFAULT_TARGET_SECONDS,
    ) -> None:
        self.booth_id = booth_id
        self._make_flow = make_flow
        self._documents_for = documents_for
        self._audit = audit
        self.store = store
        self._send = send
        self._clock = clock
        self._target_seconds = target_seconds
        self.session: TrainingSession | None = None
        self.last_result: TrainingResultMessage | None = None

    def start(self, pin: str) -> TrainingSession:
        """Log the inserted card into a new practice flow (blocking: VERIFY on the card).

        PinError and PinBlocked pass through, as at a recording login.
        """
        scorer = TrainingScorer(self._clock, target_seconds=self._target_seconds)
        sink = PracticeSink()
        flow = self._make_flow(
            tickets=PracticeTicketDesk(self._documents_for),
            sealer=PracticeSealer(),
            outbox=sink,
            audit=scorer,
        )
        flow.card_inserted()
        flow.enter_pin(pin)
        assert flow.operator_id is not None
        session = TrainingSession(
            flow=flow,
            scorer=scorer,
            sink=sink,
            operator_id=flow.operator_id,
            operator_name=flow.operator_name or "",
            started_at=dt.datetime.now(dt.UTC),
        )
        self._audit.append("training.started", operator=session.operator_id)
        self.session = session
        return session

    def finish(self) -> TrainingResultMessage | None:
        """End the practice: score it, keep the result durably, send it to the edge."""
        session, self.session = self.session, None
        if session is None:
            return None
        if session.flow.enrollment is not None:
            session.flow.cancel("training_finished")
        session.scorer.finish()
        result = session.scorer.result(
            booth_id=self.booth_id,
            operator_id=session.operator_id,
            result_id=uuid.uuid4(),
            started_at=session.started_at,
            finished_at=dt.datetime.now(dt.UTC),
        )
        self.store.add(result)
        try:
            self._hand_over(result)
        except OutboxFull:
            log.exception("practice result %s waits on the booth", result.result_id)
        self._audit.append(
            "training.finished",
            operator=session.operator_id,
            result=str(result.result_id),
            score=result.score,
        )
        self.last_result = result
        return result

    def hand_over_kept(self) -> int:
        """Send results kept but never handed to the outbox (older versions, a crash)."""
        kept = self.store.never_handed_over() if self._send is not None else []
        for result in kept:
            self._hand_over(result)
        return len(kept)

    def _hand_over(self, result: TrainingResultMessage) -> None:
        if self._send is None:
            return  # no way to the edge (a demo): the booth's history keeps it
        self._send(training_sendable(result))
        self.store.mark_handed_over(str(result.result_id), time.time())

    def close(self) -> None:
        self.store.close()


def open_training_desk(
    config: BoothConfig,
    *,
    make_flow: FlowFactory,
    documents_for: Callable[[str], Sequence[str]],
    audit: AuditSink,
    send: Send,
) -> TrainingDesk:
    """The booth's training desk: results in ``<data_dir>/training.sqlite`` for its
    history, and through ``send`` into the outbox for the edge. ``close()`` it."""
    desk = TrainingDesk(
        booth_id=config.booth_id,
        make_flow=make_flow,
        documents_for=documents_for,
        audit=audit,
        store=TrainingResultStore.in_data_dir(config.data_dir),
        send=send,
    )
    try:
        desk.hand_over_kept()
    except OutboxFull:
        log.exception("practice results wait on the booth")
    return desk
