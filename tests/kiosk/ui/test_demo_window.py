"""``./setup.sh demo`` on a machine with a display opens the booth's window.

The demo runs on a private Xvfb: the real Kivy window of the demo booth appears, the
visitor's control channel answers while it is open, and Ctrl-C closes the window and
everything the demo started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_fixtures import xvfb_display

from tests.demo.demo_fixtures import orphaned_daemons

REPO = Path(__file__).resolve().parents[3]


def rekam_windows(display: str) -> list[str]:
    """The top-level windows titled "Rekam" on ``display`` (xwininfo, from x11-utils)."""
    tree = subprocess.run(
        ["xwininfo", "-root", "-children"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return [line for line in tree.stdout.splitlines() if '"Rekam"' in line]


@pytest.mark.timeout(300)
def test_the_demo_opens_the_booth_window_and_stops_cleanly(tmp_path: Path) -> None:
    before = orphaned_daemons()
    root = tmp_path / "office"
    # A file, not a pipe: Kivy logs freely and a full pipe would stall the demo.
    log_path = tmp_path / "demo.log"
    with xvfb_display() as display, log_path.open("w") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "demo", "--keep", str(root)],
            cwd=REPO,
            env={**os.environ, "DISPLAY": display},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 180
            while not rekam_windows(display):
                assert demo.poll() is None, "the demo stopped before its window opened"
                assert time.monotonic() < deadline, "no booth window appeared"
                time.sleep(0.5)
            status = subprocess.run(
                [sys.executable, "-m", "demo", "control", "status", "--dir", str(root)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert status.returncode == 0, status.stdout + status.stderr
            assert "mains" in status.stdout.lower()
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=120)
        out = log_path.read_text(errors="replace")
        assert demo.returncode == 0, out[-3000:]
        assert "246810" in out  # the demo operator's PIN is printed for the visitor
        assert not rekam_windows(display)
    assert orphaned_daemons() - before == set()
