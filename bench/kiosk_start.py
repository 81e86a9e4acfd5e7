"""Kiosk cold start: seconds from process start to the first usable screen.

``python -m bench.kiosk_start [--quick]`` prints a table; ``run(quick)`` returns the rows.

Set-up: the real booth program (``python -m kiosk.cli --config booth.toml``, what the
systemd unit starts) as a fresh process on a private Xvfb, with the UI tests' booth
config: emulated fingerprint sensor (adafruit_fingerprint on a pty), smart-card reader
through pcscd (already running, as on the Pi where it is a system service) and camera.
The clock runs from just before the process is spawned to the ``READY=1`` the app
sends over ``NOTIFY_SOCKET`` (``kiosk.ui.kiosk_mode.SystemdNotifier``) once the first
frame of the welcome screen is on the display: config read, devices open, Kivy up.

The first start is a warm-up (it writes byte-code and fills the page cache, as the
Pi's first boot after an update does); the row is the median of the next starts
(quick: 3, full: 7). Baseline: the same measurement for a bare Kivy app that shows one
label (Python and Kivy's own start-up on this machine), so the ratio says how much
the booth adds to it. Goal (issue 20): at most 2 s.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "kiosk" / "ui"))

from booth_ui_fixtures import write_ui_booth_config  # noqa: E402 — the UI tests' set-up
from ui_fixtures import xvfb_display  # noqa: E402

from bench.report import goal, print_table_main  # noqa: E402
from hardware.smartcard import EmulatedSmartCardConfig  # noqa: E402
from hardware.smartcard.pcscd import PcscdService  # noqa: E402

GOAL_SECONDS = 2.0
READY_TIMEOUT_SECONDS = 60.0
BARE_KIVY_APP = """\
from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.label import Label
import os, socket


class Bare(App):
    def build(self):
        Window.bind(on_flip=self._flipped)
        return Label(text="Rekam")

    def _flipped(self, *_args):
        Window.unbind(on_flip=self._flipped)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])


Bare().run()
"""


def time_to_ready(command: list[str], display: str, home: Path) -> float:
    """Spawn ``command``; seconds until it sends ``READY=1`` to its ``NOTIFY_SOCKET``."""
    notify_path = home / "notify.sock"
    notify_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DISPLAY": display,
        "KIVY_HOME": str(home / "kivy"),
        "MESA_SHADER_CACHE_DIR": str(home / "mesa"),
        "KIVY_NO_ARGS": "1",
        "KIVY_LOG_MODE": "PYTHON",
        "PYTHONPATH": str(REPO),
        "NOTIFY_SOCKET": str(notify_path),
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify_path))
        listener.settimeout(READY_TIMEOUT_SECONDS)
        began = time.monotonic()
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while b"READY=1" not in listener.recv(4096):
                pass
            elapsed = time.monotonic() - began
        except TimeoutError:
            process.kill()
            _, errors = process.communicate(timeout=10)
            raise RuntimeError(f"{command[1:3]} never became ready:\n{errors[-3000:]}") from None
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.communicate(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
    return elapsed


def median_start(command: list[str], display: str, home: Path, starts: int) -> float:
    (home / "kivy").mkdir(exist_ok=True)
    (home / "mesa").mkdir(exist_ok=True)
    time_to_ready(command, display, home)  # warm-up: byte-code, page cache, Kivy's config
    return statistics.median(time_to_ready(command, display, home) for _ in range(starts))


def run(quick: bool) -> list[dict[str, Any]]:
    starts = 3 if quick else 7
    pcscd = PcscdService(EmulatedSmartCardConfig())
    pcscd.ensure_running()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp, xvfb_display() as display:
            root = Path(tmp)
            setup = write_ui_booth_config(root / "booth")
            bare = root / "bare_app.py"
            bare.write_text(BARE_KIVY_APP)
            baseline = median_start([sys.executable, str(bare)], display, root, starts)
            booth = [sys.executable, "-m", "kiosk.cli", "--config", str(setup.config_path)]
            seconds = median_start(booth, display, root, starts)
    finally:
        pcscd.stop()
    return [
        {
            "name": "kiosk_cold_start",
            "value": round(seconds, 2),
            "unit": "s",
            "baseline": "a bare Kivy app's first frame",
            "baseline_value": round(baseline, 2),
            "ratio": round(seconds / baseline, 2),
            "goal": goal("value", "<=", GOAL_SECONDS),
        }
    ]


def main(argv: list[str] | None = None) -> None:
    description = __doc__.splitlines()[0]
    print_table_main(run, argv, description=description, quick_help="3 starts instead of 7")


if __name__ == "__main__":
    main()
