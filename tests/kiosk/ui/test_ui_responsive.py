"""Issue 5: "the UI thread never blocks". With the emulated sensor at 2 s per image (real
time), the screen keeps redrawing during a whole fingerprint capture: no gap between
two frames reaches 100 ms.

This is the one responsiveness assert of the suite, required by the issue. It measures
only frames drawn while the capture runs, and skips the first gap after the touch
(the frame that switches to the busy overlay builds its textures)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from booth_ui_fixtures import write_ui_booth_config
from ui_fixtures import run_driver, xvfb_display

MAX_FRAME_GAP_S = 0.100


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> dict[str, Any]:
    setup = write_ui_booth_config(tmp_path_factory.mktemp("frames"), speed=1.0, capture_seconds=2.0)
    with xvfb_display() as display:
        report = run_driver(
            "frames", display, artifacts_dir / "screens", (800, 480),
            booth_config=setup.config_path,
        )  # fmt: skip
    assert report["ok"], (report.get("error"), report.get("card_events"))
    return report


def test_the_sensor_really_took_seconds(frames: dict[str, Any]) -> None:
    assert (frames["sensor_capture_seconds"], frames["sensor_speed"]) == (2.0, 1.0)
    assert frames["prompts"][:3] == ["place", "lift", "place_again"]
    assert frames["capture_seconds"] > 2 * frames["sensor_capture_seconds"]
    assert frames["finger_state"] == "captured"


def test_the_screen_keeps_redrawing_during_a_capture(frames: dict[str, Any]) -> None:
    during = [t for t, busy in zip(frames["frame_times"], frames["frame_busy"], strict=True)
              if busy]  # fmt: skip
    assert len(during) > 20
    gaps = [later - earlier for earlier, later in itertools.pairwise(during)][1:]
    assert max(gaps) < MAX_FRAME_GAP_S, sorted(gaps)[-5:]
