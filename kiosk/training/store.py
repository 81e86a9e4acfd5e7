"""Practice results: kept on the booth for its history, sent through the outbox.

A finished practice session is a :class:`~ektp.messages.TrainingResultMessage`. It is
kept in its own small SQLite file (``training.sqlite`` in the data dir, opened with
:func:`ektp.sqlite_store.open_durable`) for the booth's own history, and handed to the
booth's outbox as a :class:`~kiosk.outbox.records.Sendable` of kind
``training_result`` (:func:`training_sendable`) for ``booths/<id>/training``. The
uplink publishes it QoS 1 and keeps it until the broker says a subscriber took it
(MQTT v5 reason 0; 16, "no matching subscribers", keeps it for later). The edge stores
a re-send once (by ``result_id``). It never becomes a sealed packet.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ektp.messages import TrainingResultMessage, encode_message
from ektp.sqlite_store import Migration, open_durable
from ektp.topics import Topic
from kiosk.outbox.records import Sendable, SendableKind

MIGRATIONS = (
    Migration(
        "practice results",
        "CREATE TABLE IF NOT EXISTS training_results (result_id TEXT PRIMARY KEY,"
        " operator_id TEXT NOT NULL, finished_at TEXT NOT NULL, message TEXT NOT NULL,"
        " sent_at REAL)",  # sent_at: written by older versions only (they sent from here)
    ),
)


def training_sendable(result: TrainingResultMessage) -> Sendable:
    """A practice result as an outbox record, keyed by its ``result_id``."""
    return Sendable.of(
        SendableKind.TRAINING_RESULT, result.result_id, result.booth_id, Topic.TRAINING, result
    )


class TrainingResultStore:
    """Durable practice results (the booth's history); thread-safe."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_durable(self.path, migrations=MIGRATIONS)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> TrainingResultStore:
        return cls(data_dir / "training.sqlite")

    def add(self, result: TrainingResultMessage) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO training_results VALUES (?, ?, ?, ?, NULL)",
                (
                    str(result.result_id),
                    result.operator_id,
                    result.finished_at.isoformat(),
                    encode_message(result).decode(),
                ),
            )

    def never_handed_over(self) -> list[TrainingResultMessage]:
        """Results an older version kept here unsent (it sent them from this file)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message FROM training_results WHERE sent_at IS NULL ORDER BY finished_at"
            ).fetchall()
        return [TrainingResultMessage.model_validate_json(row[0]) for row in rows]

    def mark_handed_over(self, result_id: str, now: float) -> None:
        """The result is in the outbox now: this file no longer needs to send it."""
        with self._lock:
            self._db.execute(
                "UPDATE training_results SET sent_at = ? WHERE result_id = ?", (now, result_id)
            )

    def results(self, operator_id: str | None = None) -> list[TrainingResultMessage]:
        """Every result kept here (newest last), optionally for one operator."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message FROM training_results WHERE ?1 IS NULL OR operator_id = ?1"
                " ORDER BY finished_at",
                (operator_id,),
            ).fetchall()
        return [TrainingResultMessage.model_validate_json(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
