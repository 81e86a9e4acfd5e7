"""The short chaos run of the suite: the real ``rekam-chaos`` with 100 enrollments on 3 booths
and 30 SIGKILLs of booths, edge, broker and central, with links cut in between.

Nothing committed at a booth may be lost, duplicated or corrupted at central; every
event of every enrollment (check-in, ticket call, card delivery) reaches the edge
exactly once; and the harness must leave nothing running — after a normal end, after
Ctrl-C, and even when it is itself killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.chaos.children import PID_FILE, survivors

REPO = Path(__file__).resolve().parents[3]
SEED = 20260310

pytestmark = pytest.mark.slow  # a storm of kills through a whole office


def chaos_command(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "demo.chaos", "--workdir", str(workdir), *args]


def finish(process: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the harness stops what it started
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        pytest.fail(f"rekam-chaos did not finish in {timeout:.0f} s\n{out}\n{err[-3000:]}")


def nothing_left_running(workdir: Path, within: float = 30.0) -> list[str]:
    """Children of the run still alive after ``within`` s (killed here, then reported)."""
    deadline = time.monotonic() + within
    while (alive := survivors(workdir / PID_FILE)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for line in alive:
        os.kill(int(line.split()[0]), signal.SIGKILL)
    return alive


def whole_office_running(workdir: Path, timeout: float = 60.0) -> bool:
    """Broker, central, edge and the 3 booths all up at once (a part killed by the
    storm is back within a second or so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(survivors(workdir / PID_FILE)) >= 6:
            return True
        time.sleep(0.1)
    return False


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if text in line:
            return seen
    pytest.fail(f"rekam-chaos never printed {text!r}:\n{seen}")


def start_storm(workdir: Path) -> subprocess.Popen[str]:
    """A long storm, returned once the whole office runs and the first kills are due."""
    process = subprocess.Popen(
        chaos_command(workdir, "--kills", "200", "--seed", str(SEED)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for_line(process, "== Storm", timeout=120)
    assert whole_office_running(workdir)
    return process


@pytest.mark.timeout(600)
def test_short_storm_loses_duplicates_and_corrupts_nothing(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    process = subprocess.Popen(
        chaos_command(workdir, "--json", "--seed", str(SEED), "--timeout", "240"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = finish(process, timeout=540)
    assert out.strip(), err[-3000:]
    report = json.loads(out)
    context = f"seed {SEED}; files in {workdir}; problems: {report['problems']}"

    assert report["enrollments"] == 100, context
    assert report["kills"] >= 30, context
    assert set(report["kills_by_target"]) == {"booth", "edge", "broker", "central"}, context
    assert report["drained"], context
    assert (report["lost"], report["duplicated"], report["corrupted"]) == (0, 0, 0), context
    assert report["stored_at_central"] == report["committed_packets"] >= 100, context
    events = (report["events_lost"], report["events_duplicated"], report["events_unexpected"])
    assert events == (0, 0, 0), context
    assert report["events_at_edge"] == report["events_expected"] == 3 * 100, context
    assert process.returncode == 0, err[-3000:]
    assert nothing_left_running(workdir) == []


@pytest.mark.timeout(300)
def test_ctrl_c_stops_everything_the_harness_started(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    process = start_storm(workdir)
    process.send_signal(signal.SIGINT)
    out, _ = finish(process, timeout=120)

    assert process.returncode == 130, out
    assert "stopped by SIGINT" in out
    assert nothing_left_running(workdir, within=5) == []


@pytest.mark.timeout(300)
def test_a_killed_harness_takes_its_office_with_it(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    process = start_storm(workdir)
    process.kill()  # no clean-up code runs in the harness
    finish(process, timeout=60)

    assert nothing_left_running(workdir) == []
