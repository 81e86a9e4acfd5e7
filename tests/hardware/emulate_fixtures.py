"""Helpers for the ``rekam-hw emulate`` tests: the command as a subprocess, its children.

``emulated(...)`` starts ``rekam-hw emulate ...`` (through ``python -m hardware.cli``,
the same ``main`` the console script runs), waits for its ``ready:`` line and
yields the process and that line; it kills the process only if a test left it running.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90.0
STOP_SECONDS = 60.0


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline()


@contextmanager
def emulated(*arguments: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``rekam-hw emulate ARGUMENTS`` running and ready: (process, its ready line)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hardware.cli", "emulate", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process, START_SECONDS).strip()
        if not line.startswith("ready: "):
            process.kill()
            _, errors = process.communicate(timeout=STOP_SECONDS)
            raise AssertionError(f"no ready line: {line!r}; stderr: {errors}")
        yield process, line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def stop(process: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> int:
    """Send ``how`` and wait for the process to end; its exit status."""
    process.send_signal(how)
    process.wait(timeout=STOP_SECONDS)
    return process.returncode


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")"
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The ones of ``pids`` still running (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def wait_until_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait for ``pids`` to end (reaping is their parent's job); those still alive."""
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive(pids)


def kill_leftovers(pids: set[int]) -> None:
    """Clean up after a failed test so it leaves nothing behind either."""
    for pid in alive(pids):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
