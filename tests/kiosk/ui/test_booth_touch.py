"""Issue 5's acceptance on emulated devices: the real booth (``build_booth`` from a booth
config: fingerprint emulator on a pty under adafruit_fingerprint, cards through pcscd
and vpcd, emulated camera) inside the real Kivy app under Xvfb, driven by touches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from booth_ui_fixtures import (
    OPERATOR_ID,
    OPERATOR_NAME,
    RESIDENT_NAME,
    BoothSetup,
    resident,
    write_ui_booth_config,
)
from ui_fixtures import run_booth_scenario

from ektp.packet import open_sealed, verify
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import FINGER_ORDER
from kiosk.keys import load_or_create_signing_key
from kiosk.outbox.store import Outbox

pytestmark = pytest.mark.slow  # a whole booth session by touch under Xvfb


@pytest.fixture(scope="module")
def booth_run(
    tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path
) -> tuple[dict[str, Any], BoothSetup]:
    setup = write_ui_booth_config(tmp_path_factory.mktemp("booth-ui"), speed=20.0)
    report = run_booth_scenario("booth", setup.config_path, artifacts_dir)
    assert report["ok"], (report.get("error"), report.get("card_events"))
    return report, setup


def test_resident_checks_in_by_touch(booth_run: tuple[dict[str, Any], BoothSetup]) -> None:
    report, _ = booth_run
    assert report["ticket"] == "A-001"
    assert report["masked_name"] == "A** Le*****"
    assert report["checklist_resident"].startswith("A-001")


def test_operator_card_and_pin_go_through_pcscd(
    booth_run: tuple[dict[str, Any], BoothSetup],
) -> None:
    report, _ = booth_run
    assert report["operator_shown"] == OPERATOR_NAME
    assert "operator.login" in report["audit_events"]


def test_fingers_are_placed_when_the_screen_asks(
    booth_run: tuple[dict[str, Any], BoothSetup],
) -> None:
    report, _ = booth_run
    assert len(report["finger_prompts"]) == len(FINGER_ORDER)
    for prompts in report["finger_prompts"]:
        assert prompts[:3] == ["place", "lift", "place_again"]
    assert set(report["finger_states"].values()) == {"captured"}
    assert report["review_summary"] == "Jari terekam: 10 dari 10."


def test_the_sealed_packet_reaches_the_outbox(
    booth_run: tuple[dict[str, Any], BoothSetup],
) -> None:
    report, setup = booth_run
    nik, _ = resident()
    assert report["outbox_ids"] == [report["saved_packet"]]
    with Outbox(setup.data_dir / "outbox.sqlite") as outbox:
        (record,) = outbox.unacked()
    assert record.sealed is not None
    booth_key = load_or_create_signing_key(setup.data_dir / "keys" / "booth-signing.pem")
    manifest = verify(record.sealed, booth_public_key=booth_key.public_key())
    assert manifest.record.nik == nik
    assert manifest.record.operator_id == OPERATOR_ID
    content = open_sealed(record.sealed, setup.central_private_key)
    assert {PHOTO_PART, SIGNATURE_PART} <= set(content)
    assert {template_part(f) for f in FINGER_ORDER} <= set(content)
    assert report["audit_chain_broken_at"] is None


def test_card_hand_over_by_touch(booth_run: tuple[dict[str, Any], BoothSetup]) -> None:
    report, _ = booth_run
    nik, _ = resident()
    assert "e-KTP" in report["handover_insert_text"]
    assert report["screen_after_operator_card_out"] == "handover"
    assert report["handover_resident"].startswith(RESIDENT_NAME)
    assert report["handover_tries_before"] == "Sisa percobaan: 4"
    assert report["handover_miss_error"] == (
        "Sidik jari tidak cocok dengan kartu. Sisa percobaan: 3."
    )
    assert report["handover_step"] == "delivered"
    assert report["handover_title"] == "Kartu sudah diserahkan"
    assert RESIDENT_NAME in report["handover_outcome"]
    event = json.loads(report["delivered_event"])
    assert event["kind"] == "card_delivered"
    # No NIK on the office network: a registered booth names the resident by the roster
    # look-up key; this booth has no edge (no office roster key), so not at all.
    assert nik not in report["delivered_event"]
    assert "nik" not in event["data"]
    assert "resident_key" not in event["data"]
    assert event["data"]["operator"] == OPERATOR_ID
    assert "handover.card_delivered" in report["audit_events"]
    assert report["screen_after_handover"] == "lock"  # the operator logs in again
