"""Kiosk mode on the Pi: the systemd unit, and the app's sd_notify heartbeat."""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.kiosk_mode import SystemdNotifier

UNIT = Path(__file__).resolve().parents[3] / "kiosk" / "systemd" / "rekam-kiosk.service"


def unit_sections() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_restarts_a_fullscreen_app_as_the_rekam_user() -> None:
    service = unit_sections()["Service"]
    assert service["User"] == "rekam"
    assert service["Restart"] == "always"
    assert service["Type"] == "notify"
    assert int(service["WatchdogSec"]) > 0
    assert service["ExecStart"].endswith("--kiosk")
    assert "-m kiosk.ui.booth_app" in service["ExecStart"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit() -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # Only the paths of the booth itself (the venv under /opt/rekam) are missing here.
    problems = [
        line for line in done.stderr.splitlines() if line.strip() and "/opt/rekam" not in line
    ]
    assert problems == []


def test_the_heartbeat_reaches_the_service_manager(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(str(path))
        manager.settimeout(5)
        notifier = SystemdNotifier.from_environment(
            {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000"}
        )
        assert notifier.interval_seconds == 15.0
        notifier.ready()
        notifier.alive()
        assert [manager.recv(64), manager.recv(64)] == [b"READY=1", b"WATCHDOG=1"]


def test_without_a_service_manager_the_heartbeat_is_silent() -> None:
    notifier = SystemdNotifier.from_environment({"WATCHDOG_USEC": "30000000"})
    assert not notifier.active
    assert notifier.interval_seconds is None
    assert notifier.notify("READY=1") is False


def test_the_kiosk_logs_each_line_once_at_its_own_level(tmp_path: Path) -> None:
    """The booth's journal (and its SD card): Kivy's lines once, no module's DEBUG lines
    (paho's line per packet), no log file of Kivy's own."""
    program = (
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"
        "from kiosk.ui.kiosk_mode import configure_kivy\n"
        "configure_kivy(kiosk=False)\n"
        "from kivy.logger import Logger\n"
        "Logger.info('Window: a line of Kivy')\n"
        "logging.getLogger('ektp.mqtt.client').debug('Sending PUBACK (Mid: 5)')\n"
        "logging.getLogger('kiosk.uplink').info('edge reached')\n"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KIVY_")}
    environment["KIVY_HOME"] = str(tmp_path / "kivy")
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True, text=True, timeout=120, env=environment, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    # once, in the kiosk's format (Kivy's own console handler would have added a second)
    assert [line for line in lines if "a line of Kivy" in line] == ["kivy Window: a line of Kivy"]
    assert lines.count("kiosk.uplink edge reached") == 1
    assert not [line for line in lines if "PUBACK" in line]
    assert not list((tmp_path / "kivy").glob("logs/*"))
