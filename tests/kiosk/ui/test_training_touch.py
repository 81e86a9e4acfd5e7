"""Training mode on the real booth under Xvfb, by touch: the LATIHAN banner and the
training colours are on every practice screen, the result is shown, and the practice
left nothing in the outbox or the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from booth_ui_fixtures import OPERATOR_ID, OPERATOR_NAME, write_ui_booth_config
from ui_fixtures import run_booth_scenario

PRACTICE_SCREENS = {"ready", "checklist", "photo", "fingers", "signature", "review", "saved"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> dict[str, Any]:
    setup = write_ui_booth_config(tmp_path_factory.mktemp("training-ui"), speed=20.0)
    found = run_booth_scenario("training", setup.config_path, artifacts_dir)
    assert found["ok"], found.get("error")
    return found


def test_the_banner_is_on_every_practice_screen(report: dict[str, Any]) -> None:
    shown = {entry["screen"] for entry in report["banners"]}
    assert shown == PRACTICE_SCREENS
    for entry in report["banners"]:
        assert entry["training_active"], entry
        assert entry["banner_height"] > 0, entry
        assert entry["banner_opacity"] == 1.0, entry
        assert entry["banner_text"].startswith("LATIHAN"), entry


def test_no_banner_outside_practice(report: dict[str, Any]) -> None:
    for key in ("banner_before", "banner_at_pin", "banner_after"):
        assert report[key]["banner_height"] == 0, key
        assert report[key]["banner_text"] == "", key


def test_the_trainee_sees_a_result_and_it_is_kept(report: dict[str, Any]) -> None:
    assert report["operator_shown"] == OPERATOR_NAME
    assert report["practice_resident"].startswith("L-001")  # a practice ticket
    assert "NIK 9999 99" in report["practice_resident"]  # a practice NIK, region 999999
    assert report["result_score"].startswith("Nilai ")
    (stored,) = report["stored_results"]
    assert stored["operator_id"] == OPERATOR_ID
    assert stored["residents"] == 1


def test_practice_left_no_trace(report: dict[str, Any]) -> None:
    assert report["outbox_depth"] == 0
    assert report["queue_waiting"] == 1  # the real resident still waits
    assert "session.saved" not in report["audit_events"]
    assert "training.finished" in report["audit_events"]
