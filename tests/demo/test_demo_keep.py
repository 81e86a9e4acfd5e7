"""``python -m demo --keep DIR`` run again on the same DIR starts a fresh office there
(the previous one is replaced), and never deletes what is not a demo office's. The
control hint it prints names the Python that runs the demo (``.venv/bin/python``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from demo_fixtures import orphaned_daemons

from demo.control import control_hint
from demo.office import OFFICE_NAME
from demo.office_directory import OFFICE_MARKER, DemoDirectoryError, prepare_office_directory

DEMO_TIMEOUT_SECONDS = 600
QUICK_RUN = ("--residents", "1", "--speed", "8", "--once")

pytestmark = pytest.mark.slow  # two whole demo offices


def run_demo(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "demo", *QUICK_RUN, "--keep", str(directory)],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_SECONDS,
        check=False,
    )


def test_a_second_run_on_the_same_directory_starts_a_fresh_office(tmp_path: Path) -> None:
    before = orphaned_daemons()
    directory = tmp_path / "office"
    first = run_demo(directory)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    first_ca = (directory / "ca" / "ca.crt").read_bytes()
    second = run_demo(directory)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    assert "replaced the previous demo office" in second.stdout
    # the second office recorded its resident and counts only its own record
    assert "sealed records at the edge: 1 of 1; booth outbox waiting: 0" in second.stdout
    assert "office             1 / " in second.stdout
    assert (directory / "ca" / "ca.crt").read_bytes() != first_ca
    python = os.path.relpath(sys.executable)  # the tests run from the checkout
    assert f"    {python} -m demo control status --dir {directory}\n" in second.stdout
    assert orphaned_daemons() - before == set()


def test_a_directory_that_is_not_a_demo_office_is_refused_untouched(tmp_path: Path) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("the visitor's own file\n")
    with pytest.raises(DemoDirectoryError, match="holds no demo office"):
        prepare_office_directory(tmp_path, OFFICE_NAME)
    assert mine.read_text() == "the visitor's own file\n"
    assert not (tmp_path / OFFICE_MARKER).exists()


def test_a_directory_where_a_demo_still_runs_is_refused(tmp_path: Path) -> None:
    prepare_office_directory(tmp_path, OFFICE_NAME)
    (tmp_path / "edge.sqlite3").write_bytes(b"the running office's database")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as running:
        running.bind(str(tmp_path / "control.sock"))
        running.listen(1)
        with pytest.raises(DemoDirectoryError, match="still running"):
            prepare_office_directory(tmp_path, OFFICE_NAME)
    assert (tmp_path / "edge.sqlite3").exists()
    # once it has stopped (its socket file left behind), the directory is reused
    assert prepare_office_directory(tmp_path, OFFICE_NAME) is True
    assert sorted(path.name for path in tmp_path.iterdir()) == [OFFICE_MARKER]


def test_the_control_hint_names_the_python_that_runs_the_demo(tmp_path: Path) -> None:
    checkout = tmp_path / "rekam"
    venv_python = f"{checkout}/.venv/bin/python"
    hint = control_hint(Path("/tmp/rekam-demo-1"), executable=venv_python, cwd=checkout)
    assert "    .venv/bin/python -m demo control cut-mains --dir /tmp/rekam-demo-1" in hint
    elsewhere = control_hint(Path("/tmp/d"), executable="/opt/py 3/bin/python", cwd=checkout)
    assert "    '/opt/py 3/bin/python' -m demo control status --dir /tmp/d" in elsewhere
