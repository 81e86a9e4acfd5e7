"""A resident checks in by touch, then an operator records them by touch (real Kivy, Xvfb)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scenario_journey import WRONG_MONTH_NIK
from ui_fixtures import run_driver, xvfb_display

from demo.kiosk_fakes import demo_residents
from ektp.nik import NikError, parse_nik


@pytest.fixture(scope="module")
def journey(artifacts_dir: Path) -> dict[str, Any]:
    with xvfb_display() as display:
        report = run_driver("journey", display, artifacts_dir / "screens", (800, 480))
    assert report["ok"], report.get("error")
    return report


def test_resident_gets_a_ticket_by_touch(journey: dict[str, Any]) -> None:
    assert journey["screens"][:7] == [
        "welcome", "service", "nik", "kk", "confirm", "documents", "ticket",
    ]  # fmt: skip
    assert journey["ticket_label"] == "A-001"
    assert journey["queue_waiting"] == 1
    assert journey["masked_name"] == "Si** Ra*******"
    assert "Kartu Keluarga (KK)" in journey["documents_text"]
    assert journey["service_buttons"][0] == "Perekaman baru"


def test_number_pad_shows_progress_then_confirms(journey: dict[str, Any]) -> None:
    assert journey["nik_hint_partial"] == "10 dari 16 angka"
    assert journey["nik_shown"] == "6403 0514 1390 0001"
    assert journey["valid_nik_hint"] == "Nomor tampak benar. Tekan Lanjut."


def test_wrong_nik_shows_the_indonesian_error(journey: dict[str, Any]) -> None:
    with pytest.raises(NikError) as caught:
        parse_nik(WRONG_MONTH_NIK)
    indonesian, english = caught.value.localized("id"), caught.value.localized("en")
    assert indonesian != english
    assert journey["wrong_nik_error_id"] == indonesian
    assert journey["wrong_nik_next_disabled"] is True


def test_switching_to_english_shows_english_live(journey: dict[str, Any]) -> None:
    with pytest.raises(NikError) as caught:
        parse_nik(WRONG_MONTH_NIK)
    assert journey["wrong_nik_error_en"] == caught.value.localized("en")
    assert journey["nik_title_en"] == "Enter your NIK (16 digits, on your KK)"
    assert journey["language_button_en"] == "Bahasa Indonesia"
    assert journey["language_after_second_switch"] == "id"


def test_already_recorded_resident_gets_no_ticket(journey: dict[str, Any]) -> None:
    recorded, card = journey["already_recorded_text"]
    assert recorded == "Perekaman Anda dilakukan pada 21-08-2024."
    assert card == "Kartu sudah dicetak dan dapat diambil."
    assert journey["queue_waiting_after_already_recorded"] == 1


def test_operator_login_says_tries_left(journey: dict[str, Any]) -> None:
    assert journey["pin_dots"] == "● ● ● ● ● ●"
    assert journey["wrong_pin_error"] == "PIN salah. Sisa percobaan: 2."


def test_operator_records_the_resident_by_touch(journey: dict[str, Any]) -> None:
    assert journey["screens"][-8:] == [
        "ready", "checklist", "photo", "fingers", "signature", "review", "saved", "lock",
    ]  # fmt: skip
    assert journey["checklist_refusal"] == "Dokumen yang belum diperiksa: Kartu Keluarga (KK)."
    assert journey["preview_size"][0] > 0
    assert (
        journey["photo_failing"] == "Latar belakang tidak polos atau bukan warna yang diwajibkan."
    )
    states = journey["finger_states_before_last"]
    assert list(states.values()).count("captured") == 9
    assert states["left_little"] == "pending"
    assert journey["current_finger_text"] == "Sekarang: Kelingking kiri"
    assert (
        journey["empty_signature_error"] == "Tanda tangan masih kosong. Silakan tanda tangan lagi."
    )
    assert journey["review_summary"] == "Jari terekam: 9 dari 10."
    assert "Kelingking kiri: Tidak ada" in journey["review_flags"]
    assert journey["review_signature_size"][0] > 0


def test_saved_means_committed_to_the_outbox(journey: dict[str, Any]) -> None:
    assert journey["outbox_ids"] == [journey["saved_packet"]]
    record = json.loads(journey["sealed_manifest"])["record"]
    siti = demo_residents()[0]
    assert record["nik"] == siti.nik
    assert record["ticket"] == "A-001"
    assert set(record["flags"]) >= {"finger_exception", "photo_override"}
    assert record["quality"]["photo"]["override_reason"] == "head_covering"
    assert "session.saved" in journey["audit_events"]
