"""Helpers for the demo tests: what the demo may leave behind."""

from __future__ import annotations

import subprocess


def orphaned_daemons() -> set[tuple[str, str]]:
    """(pid, name) of broker/UPS daemons whose parent is gone (re-parented to init).

    Whatever the demo leaves behind when it exits becomes such an orphan; daemons that
    other running programs own still have their parent.
    """
    out = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True, check=True
    )
    rows = (line.split(None, 2) for line in out.stdout.splitlines() if line.strip())
    names = {"mosquitto", "upsd", "dummy-ups", "pcscd"}
    return {(pid, name) for pid, ppid, name in rows if name in names and ppid == "1"}


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that mention ``text`` (e.g. a demo's directory)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    return [line.strip() for line in out.stdout.splitlines() if text in line]
