"""On the real booth under Xvfb: the operator marks a called resident absent and calls the
next one; at the photo, the line under the live preview (Indonesian, then English) and the
voice follow the resident as they move in front of the emulated camera, and the operator
sees every failing check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from booth_ui_fixtures import write_ui_booth_config
from ui_fixtures import run_booth_scenario

from ektp.i18n import translate
from kiosk.photo.checks import COME_CLOSER

SIDEWAYS = ("Move a little to your left", "Move a little to your right")
HOLD_STILL = "Good: stay like this"


def kiosk_words(msgid: str, lang: str) -> str:
    return translate(msgid, lang, domain="kiosk")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> dict[str, Any]:
    setup = write_ui_booth_config(tmp_path_factory.mktemp("photo-guide-ui"), speed=20.0)
    found = run_booth_scenario("photo_guide", setup.config_path, artifacts_dir)
    assert found["ok"], (found.get("error"), found.get("card_events"))
    return found


def test_an_absent_resident_is_abandoned_and_the_next_is_called(report: dict[str, Any]) -> None:
    assert report["absent_button"] == "Tidak hadir"
    assert report["first_called"].startswith(report["tickets"][0])
    assert report["screen_after_absent"] == "ready"
    abandoned = [s for s in report["stages_after_absent"] if s["stage"] == "abandoned"]
    assert len(abandoned) == 1
    assert abandoned[0]["reason"] == "absent"
    assert abandoned[0]["ticket"] == report["tickets"][0]
    assert report["second_called"].startswith(report["tickets"][1])


def lines(msgid: str) -> str:
    return f"{kiosk_words(msgid, 'id')}\n{kiosk_words(msgid, 'en')}"


def test_the_guide_line_follows_the_resident(report: dict[str, Any]) -> None:
    guidance = report["guidance"]
    assert guidance["too_far"]["guide_label"] == lines(COME_CLOSER)
    sideways = guidance["left_in_picture"]
    assert sideways["guide_label"] in {lines(m) for m in SIDEWAYS}
    assert sideways["guide_label"] != guidance["too_far"]["guide_label"]
    assert guidance["placed_right"]["guide_label"] == lines(HOLD_STILL)


def test_the_operator_sees_every_failing_check(report: dict[str, Any]) -> None:
    sideways = report["guidance"]["left_in_picture"]
    assert "centred" in sideways["failing"]
    for message in sideways["failing_messages"]:  # the operator's screen is in Indonesian
        assert kiosk_words(message, "id") in sideways["operator_label"]
    assert report["guidance"]["placed_right"]["operator_label"] == ""


def test_the_voice_says_each_new_instruction_in_indonesian(report: dict[str, Any]) -> None:
    said = [text for text, lang in report["spoken"] if lang == "id"]
    distinct = [text for i, text in enumerate(said) if i == 0 or said[i - 1] != text]
    assert distinct[0] == kiosk_words(COME_CLOSER, "id")
    assert distinct[1] in {kiosk_words(m, "id") for m in SIDEWAYS}
    assert all(lang == "id" for _, lang in report["spoken"])
