"""What the checker reads: each booth's committed journal and outbox, and central's store.

The **journal** (``committed.jsonl`` in the booth's directory) is the chaos booth's
promise list: one JSON line ``{"serial", "packet_id", "sha256"}`` appended (and
fsynced) only after :meth:`kiosk.outbox.store.Outbox.commit` returned. A line torn by a
SIGKILL in the middle of the write is dropped when the journal is reopened (the
packet is still in the outbox, and the restarted booth journals it again from there,
marked ``"recovered": true``).

The outbox and central's database are read with plain SQL (read only, WAL-aware):
the checker needs every row, including acked ones, which the outbox's own API does
not list.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_NAME = "committed.jsonl"
OUTBOX_NAME = "outbox.sqlite3"
SERIAL_META_KEY = "chaos_serial"


@dataclass(frozen=True)
class JournalEntry:
    serial: int
    packet_id: str
    sha256: str
    recovered: bool = False


@dataclass(frozen=True)
class OutboxRow:
    packet_id: str
    sha256: str
    state: str
    serial: int | None
    has_bytes: bool


@dataclass(frozen=True)
class CentralRow:
    packet_id: str
    booth_id: str | None
    sha256: str
    size: int
    path: Path


class JsonLinesJournal:
    """Append-only JSON lines, fsynced; a line torn by a kill is not a promise: it is cut
    off when the journal is reopened and skipped when read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._repair()

    def _repair(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
                handle.flush()
                os.fsync(handle.fileno())

    def append_line(self, item: dict[str, object]) -> None:
        line = json.dumps(item, separators=(",", ":"))
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)


def read_json_lines(path: Path) -> list[dict[str, object]]:
    """Every complete line of a journal (a torn last line is not a promise yet)."""
    if not path.exists():
        return []
    items = []
    for line in path.read_bytes().split(b"\n"):
        try:
            items.append(json.loads(line))
        except ValueError:
            continue  # empty or torn by a kill mid-write
    return items


class Journal(JsonLinesJournal):
    """The booth's committed packets (see the module docstring)."""

    def entries(self) -> list[JournalEntry]:
        return read_journal(self.path)

    def append(self, entry: JournalEntry) -> None:
        self.append_line(
            {
                "serial": entry.serial,
                "packet_id": entry.packet_id,
                "sha256": entry.sha256,
                "recovered": entry.recovered,
            }
        )


def read_journal(path: Path) -> list[JournalEntry]:
    return [
        JournalEntry(
            int(str(item["serial"])),
            str(item["packet_id"]),
            str(item["sha256"]),
            bool(item.get("recovered", False)),
        )
        for item in read_json_lines(path)
    ]


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        conn.execute("PRAGMA query_only = ON")
        yield conn
    finally:
        conn.close()


def _select_all(database: Path, sql: str) -> list[Any]:
    """Every row ``sql`` selects; empty while the file or its table does not exist yet."""
    if not database.exists():
        return []
    with _read_only(database) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []  # created, not yet migrated


def outbox_rows(path: Path) -> list[OutboxRow]:
    """Every packet an outbox holds, in any state (empty when the file does not exist)."""
    rows = _select_all(
        path, "SELECT packet_id, sha256, state, meta, sealed IS NOT NULL FROM packets"
    )
    result = []
    for packet_id, sha256, state, meta, has_bytes in rows:
        serial = json.loads(meta).get(SERIAL_META_KEY) if meta else None
        result.append(
            OutboxRow(
                str(packet_id),
                str(sha256),
                str(state),
                int(serial) if serial is not None else None,
                bool(has_bytes),
            )
        )
    return result


def unacked_count(path: Path) -> int:
    return sum(1 for row in outbox_rows(path) if row.state in ("sealed", "sent"))


def central_rows(data_dir: Path) -> list[CentralRow]:
    """Every row of central's ``packets`` table (empty before central first started)."""
    rows = _select_all(
        data_dir / "central.sqlite3", "SELECT packet_id, booth_id, sha256, size, path FROM packets"
    )
    return [
        CentralRow(str(pid), booth, str(sha), int(size), Path(path))
        for pid, booth, sha, size, path in rows
    ]


def central_packet_files(data_dir: Path) -> dict[str, list[Path]]:
    """Packet id → every stored packet file with that id (more than one is a duplicate)."""
    files: dict[str, list[Path]] = {}
    for path in sorted((data_dir / "packets").glob("*/*.packet")):
        files.setdefault(path.stem, []).append(path)
    return files
