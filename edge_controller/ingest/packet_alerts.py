"""When the alerts about refused packets (``packet_rejected``, ``unknown_booth``) clear.

The ingest raises one alert per booth, kind and refusal code (the code is the alert's
subject) for each packet it refuses. Such an alert clears by itself:

* **at once when that booth delivers a good packet** (committed, or a re-send of one
  already stored) and none of its packets in the same batch was refused: whatever was
  wrong (an unregistered key, a bad clock, a broken build) is fixed;
* **after a quiet period** (``[health] packet_alert_quiet_seconds``) without another
  refusal of that kind and code from that booth: a booth that stopped sending (retired,
  or the faulty packet was dropped from its outbox) does not leave it open for ever.

The dashboard keeps the alert's history (``raised_at``/``cleared_at``), so a refusal
that cleared is still on record. :class:`PacketAlertTracker` remembers when each open
alert was last re-raised; an alert left open by an earlier run counts from its
``raised_at``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import Protocol

from edge_controller.booths.monitor import AlertChange, apply_alert_changes

log = logging.getLogger(__name__)

PACKET_ALERT_KINDS = ("packet_rejected", "unknown_booth")
GOOD_OUTCOMES = frozenset({"committed", "duplicate"})
REFUSED_OUTCOMES = frozenset({"rejected", "unknown_booth"})

AlertKey = tuple[str, str, str]
"""(booth id, kind, subject) of one alert."""

DatabaseJob = Callable[[sqlite3.Connection], list[AlertChange]]


class IngestOutcome(Protocol):
    """What this module reads of an :class:`edge_controller.ingest.checks.IngestResult`."""

    @property
    def booth_id(self) -> str: ...

    @property
    def outcome(self) -> str: ...

    @property
    def code(self) -> str | None: ...


def alert_kind(outcome: str) -> str:
    """The alert kind the ingest raises for a refused packet's outcome."""
    return "unknown_booth" if outcome == "unknown_booth" else "packet_rejected"


class PacketAlertTracker:
    """Decides which refused-packet alerts to clear; the service runs the returned jobs
    on its database thread (:meth:`after_ingest` after each batch, :meth:`expire` on
    its periodic check)."""

    def __init__(self, quiet_seconds: float) -> None:
        if quiet_seconds <= 0:
            raise ValueError("the quiet period must be positive")
        self.quiet = dt.timedelta(seconds=quiet_seconds)
        self._last_refused: dict[AlertKey, dt.datetime] = {}

    def after_ingest(
        self, results: Iterable[IngestOutcome], now: dt.datetime
    ) -> DatabaseJob | None:
        """Note this batch's refusals; a job clearing the alerts of booths it shows healthy."""
        refused: set[str] = set()
        good: set[str] = set()
        for result in results:
            if result.outcome in REFUSED_OUTCOMES:
                refused.add(result.booth_id)
                code = result.code or "packet.rejected"
                self._last_refused[(result.booth_id, alert_kind(result.outcome), code)] = now
            elif result.outcome in GOOD_OUTCOMES:
                good.add(result.booth_id)
        healthy = good - refused
        if not healthy:
            return None
        for key in [key for key in self._last_refused if key[0] in healthy]:
            del self._last_refused[key]
        return lambda conn: clear_packet_alerts(conn, now, booth_ids=healthy)

    def expire(self, now: dt.datetime) -> DatabaseJob:
        """A job clearing the alerts with no refusal for the quiet period.

        Call on the event loop (where :meth:`after_ingest` runs); the job only reads a
        copy of what it needs, so it may run on the database thread."""
        cutoff = now - self.quiet
        last_refused = dict(self._last_refused)
        for key, at in last_refused.items():
            if at <= cutoff:
                del self._last_refused[key]

        def quiet(key: AlertKey, raised_at: dt.datetime) -> bool:
            return max(last_refused.get(key, raised_at), raised_at) <= cutoff

        return lambda conn: clear_packet_alerts(conn, now, quiet_since=quiet)


def clear_packet_alerts(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    booth_ids: Iterable[str] | None = None,
    quiet_since: Callable[[AlertKey, dt.datetime], bool] | None = None,
) -> list[AlertChange]:
    """Clear open refused-packet alerts: those of ``booth_ids``, or those that
    ``quiet_since(key, raised_at)`` says are quiet. Returns what it cleared (logged)."""
    wanted = set(booth_ids) if booth_ids is not None else None
    rows = conn.execute(
        "SELECT booth_id, kind, subject, raised_at FROM alerts WHERE cleared_at IS NULL"
        " AND booth_id IS NOT NULL AND kind IN (?, ?)",
        PACKET_ALERT_KINDS,
    ).fetchall()
    changes = []
    for booth_id, kind, subject, raised_at in rows:
        if wanted is not None and booth_id not in wanted:
            continue
        raised = dt.datetime.fromisoformat(raised_at)
        if quiet_since is not None and not quiet_since((booth_id, kind, subject), raised):
            continue
        reason = "a good packet arrived" if wanted is not None else "no refusal since"
        changes.append(AlertChange("clear", booth_id, kind, subject, reason))
    applied = apply_alert_changes(conn, changes, now) if changes else []
    for change in applied:
        log.info(
            "alert clear %s %s %s (%s)", change.booth_id, change.kind, change.subject, change.detail
        )
    return applied
