"""Every screen at 800×480 and 1280×800, in Indonesian and English: screenshots are
written to artifacts/screens/ and no label's text may overflow its box or the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ui_fixtures import SCREEN_SIZES, run_driver, xvfb_display

from kiosk.ui.screens import SCREEN_CLASSES

pytestmark = pytest.mark.slow  # every screen at every size, drawn under Xvfb

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def reports(artifacts_dir: Path) -> dict[tuple[int, int], dict[str, Any]]:
    out: dict[tuple[int, int], dict[str, Any]] = {}
    with xvfb_display() as display:
        for size in SCREEN_SIZES:
            report = run_driver("screens", display, artifacts_dir / "screens", size)
            assert report["ok"], report.get("error")
            out[size] = report
    return out


def test_the_overflow_check_catches_a_cramped_label(reports: dict[Any, dict[str, Any]]) -> None:
    for report in reports.values():
        texts = {problem["text"] for problem in report["detector_control"]}
        assert texts == {"A sentence far too long for this box", "off"}


@pytest.mark.parametrize("size", SCREEN_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_screen_shot_in_both_languages(reports: dict[Any, dict[str, Any]], size: Any) -> None:
    report = reports[size]
    assert report["window"] == list(size)
    for lang in ("id", "en"):
        shown = {shot["screen"] for shot in report["shots"] if shot["lang"] == lang}
        assert shown == set(SCREEN_CLASSES), f"{lang}: missing {set(SCREEN_CLASSES) - shown}"
    for shot in report["shots"]:
        assert Path(shot["path"]).read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("size", SCREEN_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_label_is_clipped(reports: dict[Any, dict[str, Any]], size: Any) -> None:
    clipped = [
        (shot["lang"], shot["name"], problem)
        for shot in reports[size]["shots"]
        for problem in shot["problems"]
    ]
    assert clipped == []


def test_languages_look_different(reports: dict[Any, dict[str, Any]]) -> None:
    for report in reports.values():
        welcome = {
            s["lang"]: Path(s["path"]).read_bytes()
            for s in report["shots"]
            if s["name"] == "welcome"
        }
        assert welcome["id"] != welcome["en"]
