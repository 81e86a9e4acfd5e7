"""Helpers for the kiosk UI tests: a private Xvfb, the app run in a subprocess, fakes.

Kivy keeps one global Window per process, so each test module runs the real app in
its own subprocess (``ui_driver.py``) on a private Xvfb display and reads back a JSON
report (and screenshots). The journey and screens scenarios give the app in-memory
roster/tickets and the simple fakes of ``demo.kiosk_fakes``; the booth scenarios run a real
booth on emulated devices (fingerprint emulator on a pty, card through pcscd, camera).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).resolve().parent / "ui_driver.py"
SCREEN_SIZES = ((800, 480), (1280, 800))
DRIVER_TIMEOUT_S = 150.0


@contextlib.contextmanager
def xvfb_display(width: int = 1280, height: int = 800) -> Iterator[str]:
    """Start Xvfb on a free display number (it picks one itself: ``-displayfd``)."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        os.close(read_fd)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_kivy_script(
    script: Path, arguments: list[str], display: str, report_path: Path, what: str
) -> dict[str, Any]:
    """Run ``script`` (a Kivy app driver) on ``display`` with a private Kivy home.

    The script writes its JSON report to ``report_path``; return that report. Raise with
    the script's output when it fails or writes none (``what`` names it in the message).
    """
    with tempfile.TemporaryDirectory(prefix="kivy-home-") as home:
        shader_cache = Path(home) / "mesa"
        shader_cache.mkdir()
        env = {
            **os.environ,
            "DISPLAY": display,
            "KIVY_HOME": home,
            "MESA_SHADER_CACHE_DIR": str(shader_cache),
            "KIVY_NO_ARGS": "1",
            "KIVY_LOG_MODE": "PYTHON",
            "PYTHONPATH": str(REPO),
        }
        report_path.unlink(missing_ok=True)
        completed = subprocess.run(
            [sys.executable, str(script), *arguments, "--report", str(report_path)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT_S,
            check=False,
        )
    if completed.returncode != 0 or not report_path.exists():
        raise AssertionError(
            f"{what} failed (exit {completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-6000:]}"
        )
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report


def run_driver(
    scenario: str,
    display: str,
    out_dir: Path,
    size: tuple[int, int],
    *,
    booth_config: Path | None = None,
) -> dict[str, Any]:
    """Run one scenario of the real app in a subprocess; return its JSON report.

    ``booth_config``: the booth scenarios run a real booth built from this file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    arguments = [scenario, "--out", str(out_dir), "--size", f"{size[0]}x{size[1]}"]
    if booth_config:
        arguments += ["--booth-config", str(booth_config)]
    report_path = out_dir / f"{scenario}-{size[0]}x{size[1]}.json"
    return run_kivy_script(DRIVER, arguments, display, report_path, f"UI driver {scenario}")


def run_booth_scenario(scenario: str, booth_config: Path, artifacts_dir: Path) -> dict[str, Any]:
    """Run a booth scenario at 800x480 on its own Xvfb; screenshots go to ``screens/``."""
    with xvfb_display() as display:
        return run_driver(
            scenario, display, artifacts_dir / "screens", (800, 480), booth_config=booth_config
        )
