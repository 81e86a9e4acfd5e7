"""Helpers for the outbox tests: a settable clock, sample packets, the writer process."""

from __future__ import annotations

import hashlib
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRITER_SCRIPT = Path(__file__).resolve().parent / "outbox_writer.py"
MAX_KILL_DELAY_S = 0.04
"""A writer is killed 2 ms to this long after it started (or said ``ready``)."""
READY_TIMEOUT_S = 30.0


class SettableClock:
    """Wall-clock seconds that a test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sample_packet(
    rng: random.Random, size: int | None = None, kelurahan: str = "Teluk Bayur"
) -> tuple[str, bytes, dict[str, Any]]:
    """A packet id, opaque 'sealed' bytes and the small metadata the kiosk stores."""
    blob = rng.randbytes(size if size is not None else rng.randint(1024, 100 * 1024))
    packet_id = uuid.UUID(int=rng.getrandbits(128)).hex
    meta = {
        "packet_id": packet_id,
        "kelurahan": kelurahan,
        "size": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
    }
    return packet_id, blob, meta


def integrity_check(db: Path) -> str:
    """``PRAGMA integrity_check`` through a fresh connection (runs WAL recovery)."""
    conn = sqlite3.connect(db)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


@dataclass
class KilledWriter:
    """What one writer process said before it was killed."""

    committed: list[str] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    """``(kind, event_id)`` of every event it reported kept."""
    returncode: int | None = None
    stderr: str = ""
    was_ready: bool = False


def run_writer_and_kill(
    db: Path,
    rng: random.Random,
    *,
    early_kill: bool,
    max_delay_s: float = MAX_KILL_DELAY_S,
    mode: tuple[str, ...] = (),
) -> KilledWriter:
    """Start a writer, SIGKILL it after a random delay, and collect its report.

    With ``early_kill`` the delay counts from process start, so the kill may land
    while it opens the outbox (WAL recovery, schema check); otherwise it counts
    from the writer's ``ready`` line, so the kill lands among commits.
    """
    proc = subprocess.Popen(
        [sys.executable, str(WRITER_SCRIPT), str(db), *mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    buffer = b""
    try:
        if not early_kill:
            buffer = _read_until_ready(proc.stdout.fileno())
        time.sleep(rng.uniform(0.002, max_delay_s))
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=60)
    return parse_report(buffer + rest, proc.returncode, err)


def fork_writer_and_kill(db: Path, rng: random.Random, *, early_kill: bool) -> KilledWriter:
    """:func:`run_writer_and_kill` for the packet writer, forked from this process.

    The child has the outbox code imported already (``os.fork``; the test's process runs
    no threads of its own here), so an early kill lands while it opens the outbox rather
    than while a new interpreter starts, and a kill costs milliseconds instead of an
    interpreter's start. The child writes its report to a pipe as the script does.
    """
    import outbox_writer  # noqa: PLC0415  (tests/kiosk is on sys.path, as for this module)

    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer: never returns into the test
        code = 1
        try:
            os.dup2(out_write, 1)
            os.dup2(err_write, 2)
            code = outbox_writer.main(["outbox_writer.py", str(db)])
        except BaseException as err:  # report, as a dying script would
            os.write(2, f"{type(err).__name__}: {err}\n".encode())
        finally:
            os._exit(code)
    os.close(out_write)
    os.close(err_write)
    buffer = b""
    try:
        if not early_kill:
            buffer = _read_until_ready(out_read)
        time.sleep(rng.uniform(0.002, MAX_KILL_DELAY_S))
    finally:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        buffer += _read_to_end(out_read)
        stderr = _read_to_end(err_read)
    return parse_report(buffer, os.waitstatus_to_exitcode(status), stderr)


def _read_until_ready(fd: int) -> bytes:
    """What a writer printed up to its ``ready`` line, or until it ended (end of file) or
    :data:`READY_TIMEOUT_S` passed."""
    buffer = b""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while b"ready\n" not in buffer and time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], 0.5)
        if readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
    return buffer


def _read_to_end(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def run_writer_to_end(db: Path, mode: tuple[str, ...], timeout: float = 180.0) -> KilledWriter:
    """Run a writer that ends by itself (``drain``) and collect its report."""
    proc = subprocess.run(
        [sys.executable, str(WRITER_SCRIPT), str(db), *mode],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return parse_report(proc.stdout, proc.returncode, proc.stderr)


def parse_report(stdout: bytes, returncode: int | None, stderr: bytes) -> KilledWriter:
    result = KilledWriter(returncode=returncode, stderr=stderr.decode(errors="replace"))
    for line in stdout.split(b"\n")[:-1]:  # a line without its newline was not finished
        text = line.decode()
        if text == "ready":
            result.was_ready = True
        elif text.startswith("committed "):
            result.committed.append(text.removeprefix("committed "))
        elif text.startswith("event "):
            _, kind, event_id = text.split(" ")
            result.events.append((kind, event_id))
    return result
