"""Practice results kept on the booth until the edge has them — apart from the outbox.

A finished practice session is a :class:`~ektp.messages.TrainingResultMessage`. It is
committed to its own small SQLite file (``training.sqlite`` in the data dir, WAL,
synchronous=FULL) and published QoS 1 on ``booths/<id>/training`` by
:class:`TrainingResultSender`. A result counts as sent only when the broker answers
"delivered" (MQTT v5 reason 0); "no matching subscribers" (16: the edge is not
listening), a refusal or no connection leave it for the next try. The edge stores a
re-send once (by ``result_id``). The enrollment outbox never sees any of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ektp.messages import TrainingResultMessage, encode_message
from ektp.mqtt_client import MqttError
from ektp.topics import Topic, booth_topic

log = logging.getLogger(__name__)

DELIVERED = 0
Publish = Callable[[str, bytes], int]
"""``MqttClient.publish_and_wait``-like: publish QoS 1, return the broker's reason code."""


class TrainingResultStore:
    """Durable practice results; thread-safe."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS training_results (result_id TEXT PRIMARY KEY,"
            " operator_id TEXT NOT NULL, finished_at TEXT NOT NULL, message TEXT NOT NULL,"
            " sent_at REAL)"
        )

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

    def unsent(self) -> list[TrainingResultMessage]:
        with self._lock:
            rows = self._db.execute(
                "SELECT message FROM training_results WHERE sent_at IS NULL ORDER BY finished_at"
            ).fetchall()
        return [TrainingResultMessage.model_validate_json(row[0]) for row in rows]

    def results(self, operator_id: str | None = None) -> list[TrainingResultMessage]:
        """Every result kept here (newest last), optionally for one operator."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message FROM training_results WHERE ?1 IS NULL OR operator_id = ?1"
                " ORDER BY finished_at",
                (operator_id,),
            ).fetchall()
        return [TrainingResultMessage.model_validate_json(row[0]) for row in rows]

    def mark_sent(self, result_id: str, now: float | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE training_results SET sent_at = ? WHERE result_id = ?",
                (time.time() if now is None else now, result_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


class TrainingResultSender:
    """Publishes unsent results from a background thread (``start``/``wake``/``stop``)."""

    def __init__(
        self,
        store: TrainingResultStore,
        publish: Publish,
        *,
        booth_id: str,
        retry_seconds: float = 5.0,
    ) -> None:
        self._store = store
        self._publish = publish
        self._topic = booth_topic(booth_id, Topic.TRAINING)
        self._retry_seconds = retry_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="training-sender", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout=15)
            self._thread = None

    def send_pending(self) -> int:
        """Publish what is unsent; returns how many the broker delivered."""
        delivered = 0
        for result in self._store.unsent():
            try:
                code = self._publish(self._topic, encode_message(result))
            except MqttError as err:
                log.info("practice result %s not sent yet: %s", result.result_id, err.code)
                return delivered
            if code != DELIVERED:
                log.info("practice result %s not delivered (reason %s)", result.result_id, code)
                return delivered
            self._store.mark_sent(str(result.result_id))
            delivered += 1
        return delivered

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.send_pending()
            except sqlite3.Error:
                log.exception("practice results could not be read")
            self._wake.wait(self._retry_seconds)
            self._wake.clear()
