"""The harness's child processes: killable by group, gone when the harness is gone.

Each child runs in its own session (so a kill reaches the whole process group and a
Ctrl-C at the terminal reaches only the harness, which then stops them in order).
It is started through this module's launcher, ``python -m demo.chaos.children
PARENT_PID -- COMMAND...``, which asks Linux to SIGKILL it when the harness dies
(``PR_SET_PDEATHSIG``) and then ``exec``s the command: even a harness killed with
SIGKILL leaves nothing running. Every pid is also written to ``pids`` in the run's
directory so a caller can check afterwards that nothing is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PID_FILE = "pids"


class ChildProcess:
    """One restartable child (``start``, ``kill`` with SIGKILL, ``stop`` with SIGTERM)."""

    def __init__(
        self, name: str, command: list[str], *, log_path: Path, pid_file: Path, cwd: Path
    ) -> None:
        self.name = name
        self.command = command
        self.log_path = log_path
        self.pid_file = pid_file
        self.cwd = cwd
        self.started_at = 0.0
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started_at if self.alive else 0.0

    def start(self) -> None:
        if self.alive:
            return
        launcher = [sys.executable, "-m", "demo.chaos.children", str(os.getpid()), "--"]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                launcher + self.command,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.starts += 1
        with self.pid_file.open("a", encoding="utf-8") as pids:
            pids.write(f"{self._process.pid} {self.name}\n")

    def kill(self) -> bool:
        """SIGKILL the whole group, as a power cut would; True if it was running."""
        if self._process is None:
            return False
        was_alive = self._process.poll() is None
        _signal_group(self._process.pid, signal.SIGKILL)
        self._process.wait(30)
        return was_alive

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not ended within ``timeout``. Idempotent."""
        if self._process is None:
            return
        if self._process.poll() is None:
            _signal_group(self._process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout)
        self.kill()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def survivors(pid_file: Path) -> list[str]:
    """Children listed in ``pid_file`` that still run (``"<pid> <name>"`` each).

    A pid counts only while its command line names the run's directory, so a pid the
    system has since given to an unrelated process is never reported.
    """
    if not pid_file.exists():
        return []
    marker = str(pid_file.parent).encode()
    alive = []
    for line in pid_file.read_text(encoding="utf-8").splitlines():
        pid_text, _, name = line.partition(" ")
        try:
            pid = int(pid_text)
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (ValueError, OSError):
            continue
        zombie = stat.rpartition(")")[2].split()[0] == "Z"
        if not zombie and marker in cmdline:
            alive.append(f"{pid} {name}")
    return alive


def _launch(argv: list[str]) -> int:
    """``PARENT_PID -- COMMAND...``: die with the parent, then become COMMAND."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m demo.chaos.children PARENT_PID -- COMMAND...", file=sys.stderr)
        return 2
    parent = int(argv[0])
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        print("prctl(PR_SET_PDEATHSIG) failed", file=sys.stderr)
        return 1
    if os.getppid() != parent:
        return 1  # the harness died before we could ask to die with it
    os.execvp(argv[2], argv[2:])  # noqa: S606 - the harness's own command line
    return 1  # not reached: execvp replaces this process or raises


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
