"""Central's durable store: SQLite (WAL, synchronous=FULL) for uploads and packets, files
for the bytes.

* ``partial/<packet_id>.part`` holds an upload in progress; ``uploads.offset`` is the
  last byte central confirmed (fsynced before it is recorded).
* ``packets/<booth or kind>/<packet_id>.packet`` holds a stored packet; its row in
  ``packets`` carries the signed receipt. A packet id is stored at most once (primary
  key) and answered with the same receipt every time.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ektp.receipts import ItemKind, SignedReceipt
from ektp.sqlite_store import Migration, open_durable

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    packet_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    length INTEGER NOT NULL,
    offset INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0,   -- body bytes received, re-sends included
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS packets (
    packet_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    booth_id TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    bytes_received INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    receipt_body BLOB NOT NULL,
    receipt_signature BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejections (
    rejection_id INTEGER PRIMARY KEY,
    packet_id TEXT NOT NULL,
    code TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Upload:
    packet_id: str
    kind: ItemKind
    sha256: str
    length: int
    offset: int
    bytes_received: int


@dataclass(frozen=True)
class StoredItem:
    packet_id: str
    kind: ItemKind
    booth_id: str | None
    sha256: str
    size: int
    path: Path
    bytes_received: int
    receipt_body: bytes
    receipt_signature: bytes


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CentralStore:
    """One SQLite connection behind a lock (calls are short) plus the file tree."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.partial_dir = data_dir / "partial"
        self.packets_dir = data_dir / "packets"
        for directory in (data_dir, self.partial_dir, self.packets_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = open_durable(
            data_dir / "central.sqlite3",
            migrations=(Migration("uploads and packets", SCHEMA),),
            row_factory=sqlite3.Row,
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def part_path(self, packet_id: str) -> Path:
        return self.partial_dir / f"{packet_id}.part"

    def final_path(self, packet_id: str, folder: str) -> Path:
        return self.packets_dir / folder / f"{packet_id}.packet"

    def _row(self, select_by_packet_id: str, packet_id: str) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(
                select_by_packet_id, (packet_id,)
            ).fetchone()
        return row

    def upload(self, packet_id: str) -> Upload | None:
        row = self._row("SELECT * FROM uploads WHERE packet_id = ?", packet_id)
        if row is None:
            return None
        return Upload(
            row["packet_id"],
            row["kind"],
            row["sha256"],
            row["length"],
            row["offset"],
            row["bytes_received"],
        )

    def create_upload(self, packet_id: str, kind: ItemKind, sha256: str, length: int) -> Upload:
        self.part_path(packet_id).write_bytes(b"")
        now = _now()
        with self._lock:
            self._conn.execute(
                "INSERT INTO uploads (packet_id, kind, sha256, length, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (packet_id) DO NOTHING",
                (packet_id, kind, sha256, length, now, now),
            )
        upload = self.upload(packet_id)
        assert upload is not None
        return upload

    def record_progress(self, packet_id: str, offset: int, received: int) -> None:
        """The part file is fsynced up to ``offset``; ``received`` body bytes came in."""
        with self._lock:
            self._conn.execute(
                "UPDATE uploads SET offset = ?, bytes_received = bytes_received + ?,"
                " updated_at = ? WHERE packet_id = ?",
                (offset, received, _now(), packet_id),
            )

    def drop_upload(self, packet_id: str, code: str | None = None) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM uploads WHERE packet_id = ?", (packet_id,))
            if code is not None:
                self._conn.execute(
                    "INSERT INTO rejections (packet_id, code, at) VALUES (?, ?, ?)",
                    (packet_id, code, _now()),
                )
            self._conn.execute("COMMIT")
        self.part_path(packet_id).unlink(missing_ok=True)

    def item(self, packet_id: str) -> StoredItem | None:
        row = self._row("SELECT * FROM packets WHERE packet_id = ?", packet_id)
        if row is None:
            return None
        return StoredItem(
            row["packet_id"],
            row["kind"],
            row["booth_id"],
            row["sha256"],
            row["size"],
            Path(row["path"]),
            row["bytes_received"],
            bytes(row["receipt_body"]),
            bytes(row["receipt_signature"]),
        )

    def store_item(self, upload: Upload, booth_id: str | None, signed: SignedReceipt) -> StoredItem:
        """Move the complete part file into ``packets/`` and record it with its receipt.

        Crash-safe in either order: the file is renamed (atomic, fsynced) before the row
        commits; a crash in between leaves the upload complete, and finishing it again
        finds the file at its final place.
        """
        folder = booth_id or upload.kind
        final = self.final_path(upload.packet_id, folder)
        final.parent.mkdir(parents=True, exist_ok=True)
        part = self.part_path(upload.packet_id)
        if part.exists():
            os.replace(part, final)
            fsync_directory(final.parent)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO packets (packet_id, kind, booth_id, sha256, size, path,"
                    " bytes_received, received_at, receipt_body, receipt_signature)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        upload.packet_id,
                        upload.kind,
                        booth_id,
                        upload.sha256,
                        upload.length,
                        str(final),
                        upload.bytes_received,
                        signed.receipt.received_at.isoformat(),
                        signed.body,
                        signed.signature,
                    ),
                )
                self._conn.execute("DELETE FROM uploads WHERE packet_id = ?", (upload.packet_id,))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        stored = self.item(upload.packet_id)
        assert stored is not None
        return stored

    def complete_bytes(self, upload: Upload) -> bytes:
        """The bytes of a complete upload (from partial/, or packets/ after a crash)."""
        part = self.part_path(upload.packet_id)
        if part.exists():
            return part.read_bytes()[: upload.length]
        for candidate in self.packets_dir.glob(f"*/{upload.packet_id}.packet"):
            return candidate.read_bytes()
        return b""

    def count(self, kind: ItemKind | None = None) -> int:
        with self._lock:
            if kind is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM packets").fetchone()[0])
            return int(
                self._conn.execute(
                    "SELECT COUNT(*) FROM packets WHERE kind = ?", (kind,)
                ).fetchone()[0]
            )
