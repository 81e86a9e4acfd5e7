"""Running one of the project's command lines as a user would: ``python -m MODULE ARGS``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_module(
    module: str, *args: str, timeout: float = 300, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` in ``cwd``, its output captured as text; a failing exit is
    returned, not raised, for the test to judge."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
