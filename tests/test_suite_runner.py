"""``./setup.sh test`` (``python -m tests.suite``): the lab beside the rest, isolated workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.suite import PYTEST, WORKER_PYTHON, run_beside

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")

PROBE = """
import json, os, socket
print(json.dumps({
    "net": os.readlink("/proc/self/ns/net"),
    "links": sorted(name for _, name in socket.if_nameindex()),
    "pcscd": os.listdir("/run/pcscd"),
}))
open("/run/pcscd/written-by-the-worker", "w").close()
"""


@needs_root
def test_a_worker_has_its_own_network_and_pcscd_directory() -> None:
    done = subprocess.run(
        [str(WORKER_PYTHON), "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REKAM_TEST_PYTHON": sys.executable},
        check=True,
    )
    seen = json.loads(done.stdout)
    assert seen["net"] != os.readlink("/proc/self/ns/net")
    assert seen["links"] == ["lo"]
    assert seen["pcscd"] == []  # a pcscd running here is not seen, nor its socket
    assert not Path("/run/pcscd/written-by-the-worker").exists()


def _pytest_on(tmp_path: Path, name: str, body: str) -> list[str]:
    test_file = tmp_path / f"test_{name}.py"
    test_file.write_text(body)
    return [*PYTEST, "-p", "no:cacheprovider", "-q", str(test_file), "--rootdir", str(tmp_path)]


def test_a_failing_lab_fails_the_suite_and_its_report_follows_the_rests(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lab = _pytest_on(tmp_path, "lab", "def test_lab_machine_boots():\n    assert False\n")
    rest = _pytest_on(tmp_path, "rest", "def test_everything_else():\n    pass\n")
    status = run_beside(lab, rest)
    output = capfd.readouterr().out
    assert status != 0
    assert output.index("1 passed") < output.index("=== the lab") < output.index("1 failed")
    assert "test_lab_machine_boots" in output


def test_a_passing_lab_and_rest_pass(tmp_path: Path) -> None:
    lab = _pytest_on(tmp_path, "lab", "def test_lab_machine_boots():\n    pass\n")
    rest = _pytest_on(tmp_path, "rest", "def test_everything_else():\n    pass\n")
    assert run_beside(lab, rest) == 0
