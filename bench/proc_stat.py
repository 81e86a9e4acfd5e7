"""One process's counters from ``/proc/<pid>`` (Linux): CPU time, page faults, group, writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProcStat(NamedTuple):
    user_s: float
    system_s: float
    minor_faults: int
    """Page faults that needed no disk."""
    group: int
    """The process group id."""


def proc_stat(pid: int | str) -> ProcStat | None:
    """The counters of process ``pid`` so far, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return ProcStat(
        int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS, int(fields[7]), int(fields[2])
    )


def bytes_written(pid: int | str) -> int | None:
    """Bytes process ``pid`` has passed to write calls so far (files, sockets, pipes:
    ``wchar`` of ``/proc/<pid>/io``), or None if it is gone or not ours to read."""
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return None
    counters = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return int(counters["wchar"])
