"""Helpers for the kiosk UI tests: a private Xvfb, the app run in a subprocess, fakes.

Kivy keeps one global Window per process, so each test module runs the real app in
its own subprocess (``ui_driver.py``) on a private Xvfb display and reads back a JSON
report (and screenshots). The journey and screens scenarios give the app in-memory
roster/tickets and the simple fakes of ``kiosk.ui.demo``; the booth scenarios run a real
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
        report_path = out_dir / f"{scenario}-{size[0]}x{size[1]}.json"
        report_path.unlink(missing_ok=True)
        completed = subprocess.run(
            [
                sys.executable,
                str(DRIVER),
                scenario,
                "--out",
                str(out_dir),
                "--report",
                str(report_path),
                "--size",
                f"{size[0]}x{size[1]}",
                *(["--booth-config", str(booth_config)] if booth_config else []),
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT_S,
            check=False,
        )
    if completed.returncode != 0 or not report_path.exists():
        raise AssertionError(
            f"UI driver {scenario} failed (exit {completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-6000:]}"
        )
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report
