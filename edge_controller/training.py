"""Operators' practice results (``booths/<id>/training``), kept apart from recordings.

A practice session never reaches the ingest, the recordings, the queue, coverage or
the upstream: its score arrives on its own topic and lands in ``training_results``
only. :func:`store_training_result` is idempotent on ``result_id`` (the booth re-sends
until the broker confirms delivery). :func:`operator_practice` is what the dashboard's
"Latihan operator" page and ``/api/training`` show per operator.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from statistics import fmean

from ektp.messages import TrainingResultMessage, encode_message

TRAINING_SQL = """
CREATE TABLE training_results (
    result_id TEXT PRIMARY KEY,
    booth_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    residents_completed INTEGER NOT NULL,
    average_seconds REAL,
    retries INTEGER NOT NULL,
    photo_quality REAL,
    finger_quality REAL,
    score INTEGER NOT NULL,
    message TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX training_results_by_operator ON training_results (operator_id, finished_at);
"""


def store_training_result(
    conn: sqlite3.Connection, result: TrainingResultMessage, received_at: dt.datetime
) -> bool:
    """Keep one practice result; False when it was already stored (a re-send)."""
    done = [r for r in result.residents if r.completed]
    steps = [s for r in done for s in r.steps]
    photo = [s.quality for s in steps if s.step == "photo" and s.quality is not None]
    fingers = [s.quality for s in steps if s.step.startswith("finger:") and s.quality is not None]
    with conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO training_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(result.result_id),
                result.booth_id,
                result.operator_id,
                result.started_at.isoformat(),
                result.finished_at.isoformat(),
                len(done),
                fmean(r.seconds for r in done) if done else None,
                sum(s.retries for r in result.residents for s in r.steps),
                fmean(photo) if photo else None,
                fmean(fingers) if fingers else None,
                result.score,
                encode_message(result).decode(),
                received_at.isoformat(),
            ),
        )
    return cursor.rowcount == 1


@dataclass(frozen=True)
class PracticeSession:
    """One stored practice session, as a row of the operator's trend."""

    result_id: str
    booth_id: str
    finished_at: dt.datetime
    residents_completed: int
    average_seconds: float | None
    retries: int
    finger_quality: float | None
    photo_quality: float | None
    score: int


@dataclass
class OperatorPractice:
    """Everything one operator practised: totals and the sessions, oldest first."""

    operator_id: str
    sessions: list[PracticeSession] = field(default_factory=list)

    @property
    def session_count(self) -> int:
        return len(self.sessions)

    @property
    def residents_completed(self) -> int:
        return sum(s.residents_completed for s in self.sessions)

    @property
    def average_seconds_per_resident(self) -> float | None:
        """Weighted by residents: total practice time over residents completed."""
        timed = [s for s in self.sessions if s.average_seconds is not None]
        count = sum(s.residents_completed for s in timed)
        if not count:
            return None
        return round(
            sum((s.average_seconds or 0) * s.residents_completed for s in timed) / count, 1
        )

    @property
    def retries(self) -> int:
        return sum(s.retries for s in self.sessions)

    @property
    def latest_score(self) -> int | None:
        return self.sessions[-1].score if self.sessions else None

    @property
    def quality_trend(self) -> list[float | None]:
        """Mean fingerprint quality per session, oldest first."""
        return [s.finger_quality for s in self.sessions]


def operator_practice(
    conn: sqlite3.Connection, operator_id: str | None = None
) -> list[OperatorPractice]:
    """Practice per operator (sorted by operator id), optionally for one operator."""
    rows = conn.execute(
        "SELECT operator_id, result_id, booth_id, finished_at, residents_completed,"
        " average_seconds, retries, finger_quality, photo_quality, score"
        " FROM training_results WHERE ?1 IS NULL OR operator_id = ?1"
        " ORDER BY operator_id, finished_at",
        (operator_id,),
    ).fetchall()
    by_operator: dict[str, OperatorPractice] = {}
    for row in rows:
        practice = by_operator.setdefault(row[0], OperatorPractice(row[0]))
        practice.sessions.append(
            PracticeSession(
                result_id=row[1],
                booth_id=row[2],
                finished_at=dt.datetime.fromisoformat(row[3]),
                residents_completed=row[4],
                average_seconds=None if row[5] is None else round(row[5], 1),
                retries=row[6],
                finger_quality=None if row[7] is None else round(row[7], 1),
                photo_quality=None if row[8] is None else round(row[8], 1),
                score=row[9],
            )
        )
    return list(by_operator.values())
