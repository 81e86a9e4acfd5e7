"""The region code in a NIK or KK at check-in: one that does not exist is refused in plain
words (Indonesian first); a resident from another district checks in, and the record is
held for a supervisor with the ``foreign_region`` flag (issue 10).

The capture side runs the real flows over the demo's simple fakes (no devices needed to
see which flags a sealed record carries).
"""

from __future__ import annotations

import pytest
from booth_fixtures import resident_kk, resident_nik

from demo.kiosk_fakes import (
    DEMO_PIN,
    AuditList,
    FakeCardLogin,
    FakeFingerSensor,
    FakePhotoStep,
    FakeSealer,
    MemoryOutbox,
)
from ektp.errors import ValidationError
from ektp.record import ReviewFlag
from ektp.regions import RegionTable
from kiosk.config.booth import BoothConfig
from kiosk.flow.capture import CaptureFlow, CaptureStep
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.flow.ports import InMemoryRoster, InMemoryTicketDesk, RosterEntry
from kiosk.headless import signature_png

BORN_AND_SERIAL = "170890" + "0001"  # a man born 17-08-1990, serial 1
TANJUNG_REDEB = "640305"  # Kabupaten Berau: a real district, not this office's (640306)


class Booth:
    """The two flows of one booth, wired as ``kiosk.booth`` does, over fakes."""

    def __init__(self) -> None:
        self.audit = AuditList()
        self.outbox = MemoryOutbox()
        roster = InMemoryRoster(
            [RosterEntry(resident_nik(1), resident_kk(2), "Siti Aminah", "Birang", "003", "001")]
        )
        tickets = InMemoryTicketDesk()
        self.checkin = CheckInFlow(
            roster=roster,
            tickets=tickets,
            audit=self.audit,
            documents_for=lambda service: ["kk"],
            services=["new_recording"],
        )
        self.capture = CaptureFlow(
            booth_id="booth-01",
            login=FakeCardLogin(delay=0),
            tickets=tickets,
            photo=FakePhotoStep(delay=0, failures=0),
            sensor=FakeFingerSensor(delay=0),
            sealer=FakeSealer(),
            outbox=self.outbox,
            audit=self.audit,
            fingers=["right_index", "left_index"],
            required_background=lambda _enrollment: "red",
            office_district_code="640306",
        )

    def at_nik(self) -> CheckInFlow:
        self.checkin.start("id")
        self.checkin.choose_service("new_recording")
        return self.checkin

    def check_in(self, nik: str, kk: str) -> None:
        flow = self.at_nik()
        flow.enter_nik(nik)
        flow.enter_kk(kk)
        if flow.step is CheckInStep.CONFIRM:
            flow.confirm_name(True)
        flow.accept_documents()
        flow.finish()

    def record_next(self) -> tuple[ReviewFlag, ...]:
        flow = self.capture
        flow.card_inserted()
        flow.enter_pin(DEMO_PIN)
        ticket = flow.call_next()
        assert ticket is not None
        flow.confirm_documents(set(ticket.checkin.documents))
        assert flow.take_photo().ok
        while flow.step is CaptureStep.FINGERPRINTS:
            flow.capture_finger()
        flow.submit_signature(signature_png("resident"))
        flow.seal()
        assert flow.saved_record is not None
        return flow.saved_record.flags


@pytest.mark.parametrize(
    ("region", "code", "indonesian", "english"),
    [
        (
            "990306",
            "nik.province",
            "Digit ke-1–2 (99) bukan kode provinsi yang dikenal",
            "The 1st–2nd digits (99) are not a known province code",
        ),
        (
            "320006",
            "nik.regency",
            "Digit ke-3–4 (00) bukan kode kabupaten/kota yang dikenal di provinsi ini",
            "The 3rd–4th digits (00) are not a known regency in this province",
        ),
        (
            "327300",  # Kota Bandung has districts, but none numbered 00
            "nik.district",
            "Digit ke-5–6 (00) bukan kode kecamatan yang dikenal di kabupaten/kota ini",
            "The 5th–6th digits (00) are not a known district in this regency",
        ),
        (
            "640342",  # Kabupaten Berau has 13 districts
            "nik.district",
            "Digit ke-5–6 (42) bukan kode kecamatan yang dikenal di kabupaten/kota ini",
            "The 5th–6th digits (42) are not a known district in this regency",
        ),
    ],
)
def test_a_nik_from_a_region_that_does_not_exist_is_refused_in_plain_words(
    region: str, code: str, indonesian: str, english: str
) -> None:
    booth = Booth()
    flow = booth.at_nik()
    nik = region + BORN_AND_SERIAL
    with pytest.raises(ValidationError) as live:
        flow.check_nik(nik)  # what the NIK screen shows as the 16th digit is typed
    with pytest.raises(ValidationError) as refused:
        flow.enter_nik(nik)
    assert live.value.code == refused.value.code == code
    assert refused.value.localized("id") == indonesian
    assert refused.value.localized("en") == english
    assert flow.step is CheckInStep.NIK  # the resident corrects the number; no ticket


def test_a_kk_from_a_region_that_does_not_exist_is_refused() -> None:
    booth = Booth()
    flow = booth.at_nik()
    flow.enter_nik(resident_nik(1))
    with pytest.raises(ValidationError) as refused:
        flow.enter_kk("640300" + resident_kk(2)[6:])
    assert refused.value.code == "kk.district"
    assert refused.value.localized("id").startswith("Digit ke-5–6 (00)")
    assert flow.step is CheckInStep.KK


def test_a_resident_from_another_district_is_recorded_and_flagged_for_review() -> None:
    booth = Booth()
    booth.check_in(resident_nik(1), resident_kk(2))
    own_flags = booth.record_next()
    booth.capture.lock()

    visitor_nik = TANJUNG_REDEB + BORN_AND_SERIAL
    booth.check_in(visitor_nik, TANJUNG_REDEB + resident_kk(3)[6:])
    visitor_flags = booth.record_next()

    assert ReviewFlag.FOREIGN_REGION not in own_flags
    assert ReviewFlag.FOREIGN_REGION in visitor_flags
    saved = [event for event, fields in booth.audit.events if event == "session.saved"]
    assert len(saved) == 2
    assert len(booth.outbox.records) == 2


def _checkin_with(region: dict[str, str]) -> CheckInFlow:
    """A check-in wired as ``kiosk.booth`` does: the table of booth.toml's ``[region]``."""
    config = BoothConfig.model_validate(
        {"booth_id": "booth-01", "central_public_key_path": "/dev/null", "region": region}
    )
    flow = CheckInFlow(
        roster=InMemoryRoster([]),
        tickets=InMemoryTicketDesk(),
        audit=AuditList(),
        documents_for=lambda service: ["kk"],
        services=["new_recording"],
        regions=RegionTable.from_config(config.region),
    )
    flow.start("id")
    flow.choose_service("new_recording")
    return flow


@pytest.mark.parametrize("checked", ["regency", "province"])
def test_official_codes_of_the_office_and_beyond_are_accepted(checked: str) -> None:
    flow = _checkin_with({"checked": checked})
    for district in ("640306", "640313", "640101", "327301"):  # Berau ×2, Paser, Kota Bandung
        assert flow.check_nik(district + BORN_AND_SERIAL).region_code == district


def test_a_district_of_another_regency_is_checked_when_the_office_says_so() -> None:
    nik = "640199" + BORN_AND_SERIAL  # Kabupaten Paser has 10 districts, none numbered 99
    assert _checkin_with({"checked": "regency"}).check_nik(nik).region_code == "640199"
    flow = _checkin_with({"checked": "province"})
    with pytest.raises(ValidationError) as refused:
        flow.enter_nik(nik)
    assert refused.value.code == "nik.district"
    assert refused.value.localized("id") == (
        "Digit ke-5–6 (99) bukan kode kecamatan yang dikenal di kabupaten/kota ini"
    )
    assert flow.step is CheckInStep.NIK


def test_a_district_code_the_decree_does_not_have_is_refused_everywhere() -> None:
    flow = _checkin_with({"checked": "country"})
    with pytest.raises(ValidationError) as refused:
        flow.enter_nik("327399" + BORN_AND_SERIAL)  # Kota Bandung has no district 99
    assert refused.value.code == "nik.district"
