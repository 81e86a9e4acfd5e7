"""The whole test suite as ``./setup.sh test`` runs it: the lab beside the rest.

The lab modules (marker ``lab``: Debian machines booted, an arm64 booth under qemu-user)
take about a quarter of an hour, and every other module runs in two pytest-xdist workers
meanwhile: on two cores the whole suite took 26 + 15 min one after the other, 18 beside.
Each worker's Python starts in mount and network namespaces of its own
(``tests/isolated-worker-python``): pcscd's socket directory ``/run/pcscd`` is fixed (one
pcscd per machine) and a booth on emulated hardware binds vpcd's port on every address, so
two workers would otherwise meet there. The lab stays in this computer's namespaces: it
makes network namespaces of its own and its first run downloads packages.

``python -m tests.suite`` runs all that and prints the lab's report after the rest's; its
exit status is the rest's if it failed, else the lab's. With arguments it is plain
``pytest ARGS`` (one file, ``-k``, ...); without root (no namespaces to make) plain ``pytest``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKER_PYTHON = REPO / "tests" / "isolated-worker-python"
WORKERS = 2  # measured on two cores: the rest 25.6 min in one process, 18.6 in two workers
PYTEST = [sys.executable, "-m", "pytest"]


def rest_command() -> list[str]:
    """Every module but the lab's, in isolated workers; a module stays on one worker (its
    fixtures are shared by its tests) and the slow ones start first (``tests/conftest.py``)."""
    return [
        *PYTEST,
        "-m",
        "not lab",
        "--tx",
        f"{WORKERS}*popen//python={WORKER_PYTHON}",
        "--dist",
        "loadfile",
        "--no-loadscope-reorder",
    ]


def lab_command() -> list[str]:
    return [*PYTEST, "-m", "lab", "-p", "no:cacheprovider"]


def run_beside(lab: list[str], rest: list[str]) -> int:
    """Start ``lab`` with its output in a file, run ``rest`` here, then print the lab's."""
    environment = {**os.environ, "REKAM_TEST_PYTHON": sys.executable}
    with tempfile.TemporaryFile(mode="w+", prefix="rekam-lab-tests-") as report:
        lab_run = subprocess.Popen(lab, stdout=report, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            rest_status = subprocess.run(rest, env=environment, cwd=REPO, check=False).returncode
        finally:
            lab_status = lab_run.wait()
        report.seek(0)
        print(f"\n=== the lab ({' '.join(lab[1:])}) ===", flush=True)
        sys.stdout.write(report.read())
        sys.stdout.flush()
    return rest_status or lab_status  # a lab killed by a signal (negative) fails it too


def main(argv: list[str]) -> int:
    if argv or os.geteuid() != 0:
        return subprocess.run([*PYTEST, *argv], cwd=REPO, check=False).returncode
    return run_beside(lab_command(), rest_command())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
