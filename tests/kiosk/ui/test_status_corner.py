"""What the operator and the resident see around the screens, on the real booth under
Xvfb: a NIK whose district does not exist is refused as it is typed; the power banner says
what the office power allows (issue 5: "on battery: finishing the current recording
only"), says the booth is shutting down on low battery, and is gone on mains; a stale
retained SHUTDOWN neither shows nor shuts down; the health corner turns when the
fingerprint sensor breaks and turns back when it is repaired.

Screenshots: ``artifacts/screens/status_corner/``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from booth_ui_fixtures import write_ui_booth_config
from ui_fixtures import run_kivy_script, xvfb_display

DRIVER = Path(__file__).resolve().parent / "status_corner_driver.py"


def run_status_corner(display: str, config: Path, record: Path, out_dir: Path) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    arguments = ["--booth-config", str(config), "--record", str(record), "--out", str(out_dir)]
    with tempfile.TemporaryDirectory(prefix="status-corner-report-") as report_dir:
        report_path = Path(report_dir) / "report.json"
        report = run_kivy_script(DRIVER, arguments, display, report_path, "status corner driver")
    assert report["ok"], report.get("error")
    return report


@pytest.fixture(scope="module")
def seen(
    tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path, smartcard_pcscd: object
) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("status-corner")
    setup = write_ui_booth_config(directory, speed=20.0)
    record = directory / "poweroff.txt"
    with xvfb_display() as display:
        report = run_status_corner(display, setup.config_path, record, artifacts_dir / "screens")
    report["poweroff_lines"] = record.read_text().splitlines() if record.exists() else []
    return report


def test_a_nik_whose_district_does_not_exist_is_refused_as_it_is_typed(
    seen: dict[str, Any],
) -> None:
    hint = seen["region_hint"]
    assert hint["id"] == "Digit ke-5–6 (00) bukan kode kecamatan yang dikenal di kabupaten/kota ini"
    assert hint["en"] == "The 5th–6th digits (00) are not a known district in this regency"
    assert hint["next_disabled"] is True
    assert hint["good_nik_next_disabled"] is False
    assert hint["good_nik_hint"] == "The number looks right. Press Next."


def test_on_battery_the_banner_says_finish_the_current_recording_only(
    seen: dict[str, Any],
) -> None:
    on_battery = seen["power"]["on_battery"]
    assert on_battery["en"] == "Power cut, on battery: finish the current recording only."
    assert on_battery["id"] == (
        "Listrik padam, memakai baterai: hanya selesaikan perekaman yang sedang berjalan."
    )
    short = seen["power"]["battery_short"]
    assert short["en"] == (
        "Power cut, battery nearly used up: finish the current recording, start no new one."
    )
    assert short["id"].startswith("Listrik padam, baterai hampir habis")
    assert on_battery["problems"] == short["problems"] == []  # nothing clipped at 800×480


def test_on_low_battery_the_banner_says_the_booth_shuts_down_and_it_does(
    seen: dict[str, Any],
) -> None:
    low = seen["power"]["low_battery"]
    assert low["en"] == "Battery low: the session is being saved and the booth shuts down."
    assert low["id"] == "Baterai hampir habis: sesi disimpan dan booth dimatikan."
    assert low["problems"] == []
    assert seen["power"]["shut_down"] is True
    assert seen["poweroff_lines"] == ["poweroff"]  # once, from the fresh LOW_BATTERY


def test_no_banner_on_mains_and_none_after_the_power_comes_back(seen: dict[str, Any]) -> None:
    power = seen["power"]
    for state in ("mains", "mains_back"):
        assert (power[state]["id"], power[state]["en"]) == ("", ""), state


def test_a_stale_retained_shutdown_neither_shows_nor_shuts_the_booth_down(
    seen: dict[str, Any],
) -> None:
    power = seen["power"]
    assert (power["stale_shutdown"]["id"], power["stale_shutdown"]["en"]) == ("", "")
    assert power["stale_shutdown_started"] is False
    assert power["stale_shutdown_captures_allowed"] is True


def test_the_health_corner_follows_a_sensor_that_breaks_and_is_repaired(
    seen: dict[str, Any],
) -> None:
    health = seen["health"]
    assert health["before_ok"] is True
    assert health["before"].startswith("●")
    assert health["broken"].startswith("▲")
    assert health["broken_colour"][:3] == pytest.approx([0.85, 0.45, 0.05])
    lines = {name: (ok, detail) for name, ok, detail in health["popup_lines"]}
    assert lines["Sensor sidik jari"][0] is False
    assert lines["Sensor sidik jari"][1]  # the cause, for the technician
    assert lines["Pembaca kartu"][0] is True
    assert "✗ Sensor sidik jari" in health["popup_text"]
    assert health["repaired"].startswith("●")
