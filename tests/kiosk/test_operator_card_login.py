"""Booth login proves the operator card is the office's (real pcscd, emulated card).

The booth from ``build_booth`` trusts the office CA of its config; the emulated reader
issues blank cards with that CA, as the office does. A card from elsewhere, a clone
without the card's key, and a revoked card are refused with a sentence on screen and
an audit entry; none of them logs anyone in.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from booth_fixtures import BoothSetup, booth_setup, emulated_booth, office_card_issuer
from cryptography import x509

from ektp.pki import OfficeCA, OperatorCardIssuer
from hardware.smartcard import EmulatedSmartCardReader, OperatorCard
from kiosk.booth import Booth
from kiosk.devices import SmartCardLogin
from kiosk.flow.capture import CaptureStep
from kiosk.flow.errors import FlowError
from kiosk.operator_trust import OperatorCardRefused, OperatorCardTrust, OperatorTrustUnavailable
from kiosk.ui.describe import describe_error

PIN = "482910"


def insert(booth: Booth, card: OperatorCard) -> EmulatedSmartCardReader:
    reader = booth.reader
    assert isinstance(reader, EmulatedSmartCardReader)
    reader.insert_card(card)
    deadline = time.monotonic() + 15
    while booth.capture.step is not CaptureStep.PIN and time.monotonic() < deadline:
        time.sleep(0.02)
    assert booth.capture.step is CaptureStep.PIN
    return reader


def card() -> OperatorCard:
    return OperatorCard("OP-0042", "Rina Wulandari", PIN)


def refused_entries(booth: Booth) -> list[dict[str, object]]:
    return [e.fields for e in booth.audit.entries() if e.event == "operator.card_refused"]


def assert_nothing_secret_in_audit(booth: Booth, the_card: OperatorCard) -> None:
    text = json.dumps([e.fields for e in booth.audit.entries()])
    assert PIN not in text
    assert the_card.public_key.hex() not in text


def test_a_card_issued_by_the_office_logs_in_as_its_certificate_says(
    emulated_booth: Booth,
) -> None:
    genuine = card()
    insert(emulated_booth, genuine)
    emulated_booth.capture.enter_pin(PIN)

    assert emulated_booth.capture.step is CaptureStep.READY
    assert emulated_booth.capture.operator_id == "OP-0042"
    assert emulated_booth.capture.operator_name == "Rina Wulandari"
    assert genuine.certificate is not None  # the office issued it on the way in
    assert refused_entries(emulated_booth) == []


def test_a_card_from_another_office_is_refused_before_it_sees_the_pin(
    emulated_booth: Booth, tmp_path: Path
) -> None:
    other_office = OperatorCardIssuer.from_ca_directory(
        office_card_issuer(tmp_path / "kecamatan-sebelah").directory
    )
    stranger = card()
    other_office.personalise(stranger)
    reader = insert(emulated_booth, stranger)

    with pytest.raises(OperatorCardRefused) as refused:
        emulated_booth.capture.enter_pin(PIN)

    assert describe_error(refused.value, "id") == (  # what the PIN screen shows
        "Kartu ini tidak diterbitkan oleh kantor ini. Masuk ditolak; "
        "serahkan kartu kepada supervisor."
    )
    assert describe_error(refused.value, "en").startswith("This card was not issued by this")
    assert emulated_booth.capture.step is CaptureStep.PIN
    assert emulated_booth.capture.operator_id is None
    assert reader.pin_tries_left() == 3  # the PIN never reached it
    (entry,) = refused_entries(emulated_booth)
    assert entry["reason"] == "unknown_issuer"
    assert entry["certificate_serial"]
    assert_nothing_secret_in_audit(emulated_booth, stranger)


def test_a_clone_with_a_copied_certificate_fails_the_challenge(
    emulated_booth: Booth, booth_setup: BoothSetup
) -> None:
    office = OperatorCardIssuer.from_ca_directory(booth_setup.office_ca_dir)
    genuine = card()
    serial = office.personalise(genuine)
    clone = card()  # knows the operator id and the PIN, but not the genuine card's key
    assert genuine.certificate is not None
    clone.install_certificate(genuine.certificate)
    reader = insert(emulated_booth, clone)

    with pytest.raises(OperatorCardRefused) as refused:
        emulated_booth.capture.enter_pin(PIN)

    assert refused.value.reason == "wrong_key"
    assert "tidak dapat membuktikan keasliannya" in refused.value.localized("id")
    assert emulated_booth.capture.operator_id is None
    assert reader.pin_tries_left() == 3  # reset: the PIN it was given no longer counts
    (entry,) = refused_entries(emulated_booth)
    assert entry == {"reason": "wrong_key", "certificate_serial": f"{serial:x}"}
    assert_nothing_secret_in_audit(emulated_booth, clone)


def test_a_revoked_operator_is_refused_at_the_next_login(
    emulated_booth: Booth, booth_setup: BoothSetup
) -> None:
    issued = card()
    insert(emulated_booth, issued)
    emulated_booth.capture.enter_pin(PIN)
    assert emulated_booth.capture.operator_id == "OP-0042"
    emulated_booth.capture.lock("operator")

    assert issued.certificate is not None
    OfficeCA.load(booth_setup.office_ca_dir).revoke(_serial(issued.certificate))
    emulated_booth.capture.card_inserted()
    with pytest.raises(OperatorCardRefused) as refused:
        emulated_booth.capture.enter_pin(PIN)

    assert refused.value.localized("id") == (
        "Kartu operator ini telah dicabut oleh kantor. Masuk ditolak."
    )
    assert emulated_booth.capture.step is CaptureStep.PIN
    assert [e["reason"] for e in refused_entries(emulated_booth)] == ["revoked"]


def test_a_booth_without_a_usable_office_ca_lets_no_card_in(
    emulated_booth: Booth, tmp_path: Path
) -> None:
    insert(emulated_booth, card())
    foreign_crl = office_card_issuer(tmp_path / "elsewhere").crl_path
    for trust in (
        OperatorCardTrust(None),
        OperatorCardTrust(tmp_path / "missing-ca.crt"),
        OperatorCardTrust(_booth_ca(emulated_booth), crl_path=foreign_crl),
    ):
        login = SmartCardLogin(emulated_booth.reader, trust, audit=emulated_booth.audit)
        with pytest.raises(OperatorTrustUnavailable) as unavailable:
            login.verify_and_identify(PIN)
        assert "Panggil teknisi" in unavailable.value.localized("id")
    assert emulated_booth.reader.pin_tries_left() == 3
    unchecked = [e for e in emulated_booth.audit.entries() if e.event == "operator.card_unchecked"]
    assert len(unchecked) == 3


def test_a_pin_of_the_wrong_length_gets_its_own_sentence_and_costs_no_try(
    emulated_booth: Booth,
) -> None:
    reader = insert(emulated_booth, card())

    for typed in ("4829", "482910123", "48291x"):
        with pytest.raises(FlowError) as refused:
            emulated_booth.capture.enter_pin(typed)
        assert describe_error(refused.value, "id") == "PIN harus 6–8 angka."
        assert describe_error(refused.value, "en") == "The PIN has 6 to 8 digits."

    assert emulated_booth.capture.step is CaptureStep.PIN
    assert reader.pin_tries_left() == 3  # the card never saw them
    emulated_booth.capture.enter_pin(PIN)
    assert emulated_booth.capture.operator_id == "OP-0042"


def _booth_ca(booth: Booth) -> Path:
    path = booth.config.operator_cards.issuer_cert_path
    assert path is not None
    return path


def _serial(certificate_der: bytes) -> int:
    return x509.load_der_x509_certificate(certificate_der).serial_number
