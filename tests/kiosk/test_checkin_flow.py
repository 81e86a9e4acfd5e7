"""A resident alone at the booth: what they type is checked in plain words, and forgotten
when they walk away."""

from __future__ import annotations

from pathlib import Path

import pytest
from booth_fixtures import resident_kk, resident_nik

from ektp.errors import ValidationError
from ektp.resident import mask_name
from kiosk.audit import AuditLog
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import InMemoryRoster, InMemoryTicketDesk, RosterEntry

NIK, KK = resident_nik(31), resident_kk(32)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts(tmp_path: Path) -> tuple[CheckInFlow, InMemoryTicketDesk, AuditLog, FakeClock]:
    clock = FakeClock()
    desk = InMemoryTicketDesk()
    audit = AuditLog(tmp_path / "audit.sqlite")
    roster = InMemoryRoster([RosterEntry(NIK, KK, "Siti Aminah", "Birang", "003", "001")])
    flow = CheckInFlow(
        roster=roster,
        tickets=desk,
        audit=audit,
        documents_for=lambda service: ["kk", "call_letter"],
        services=["new_recording", "renewal"],
        clock=clock,
        idle_seconds=60,
    )
    return flow, desk, audit, clock


def test_a_resident_in_the_roster_gets_a_ticket(parts) -> None:
    flow, desk, audit, _ = parts
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(NIK)
    flow.enter_kk(KK)
    assert flow.step is CheckInStep.CONFIRM
    assert flow.masked_name == mask_name("Siti Aminah") == "Si** Am****"
    flow.confirm_name(True)
    assert flow.documents == ("kk", "call_letter")
    ticket = flow.accept_documents()
    assert ticket.number == "A-001"
    assert ticket.checkin.kelurahan == "Birang"
    assert desk.waiting == 1
    assert audit.verify_chain() is None
    assert all(NIK not in str(e.fields) for e in audit.entries())  # only masked NIKs logged


def test_wrong_nik_is_explained_in_indonesian_and_english(parts) -> None:
    flow, *_ = parts
    flow.start("id")
    flow.choose_service("new_recording")
    with pytest.raises(ValidationError) as short:
        flow.enter_nik(NIK[:15])
    assert "16" in short.value.localized("id")
    assert "15" in short.value.localized("id")
    bad_day = NIK[:6] + "99" + NIK[8:]
    with pytest.raises(ValidationError) as day:
        flow.enter_nik(bad_day)
    assert day.value.localized("en") == "The 7th–8th digits are not a valid day"
    assert day.value.localized("id") != day.value.localized("en")
    assert flow.step is CheckInStep.NIK  # still waiting for a good NIK


def test_a_kk_that_is_not_the_residents_family_card_is_refused(parts) -> None:
    flow, *_ = parts
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(NIK)
    with pytest.raises(FlowError) as mismatch:
        flow.enter_kk(resident_kk(99))
    assert mismatch.value.code == "kk_mismatch"
    assert flow.step is CheckInStep.KK


def test_someone_not_in_the_roster_still_gets_a_ticket_marked_for_the_operator(parts) -> None:
    flow, _desk, *_ = parts
    flow.start("en")
    flow.choose_service("renewal")
    flow.enter_nik(resident_nik(77, female=False))
    flow.enter_kk(resident_kk(78))
    assert flow.step is CheckInStep.DOCUMENTS  # no name to confirm
    ticket = flow.accept_documents()
    assert not ticket.checkin.in_roster


def test_walking_away_forgets_everything_typed(parts) -> None:
    flow, desk, audit, clock = parts
    flow.start("en")
    flow.choose_service("new_recording")
    flow.enter_nik(NIK)
    clock.now += 59
    assert not flow.tick()
    clock.now += 2
    assert flow.tick()
    assert flow.step is CheckInStep.WELCOME
    assert flow.masked_name is None
    assert flow.language == "id"  # the next resident starts in Indonesian
    assert desk.waiting == 0
    assert any(e.event == "checkin.timeout" for e in audit.entries())


def test_saying_the_name_is_not_mine_sends_to_the_operator(parts) -> None:
    flow, desk, *_ = parts
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(NIK)
    flow.enter_kk(KK)
    flow.confirm_name(False)
    assert flow.step is CheckInStep.SEE_OPERATOR
    assert desk.waiting == 0
