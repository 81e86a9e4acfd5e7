"""Alerts raised and cleared on the event loop, stored on the database thread.

Booth alerts (the monitor's changes, refused packets), office alerts (power,
upstream backlog) and the packet-alert tracker's clearing jobs all end here: each is
applied in the background (:func:`~edge_controller.booths.monitor.apply_alert_changes`)
and what changed is logged once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from edge_controller.booths.monitor import AlertChange, apply_alert_changes
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.power.watcher import PowerAlert
from edge_controller.upstream.alerts import stale_backlog_change
from edge_controller.upstream.status import UpstreamStatus

log = logging.getLogger(__name__)


class AlertRecorder:
    """Stores alert changes in the background; call its methods on the event loop."""

    def __init__(self, db: DatabaseExecutor, now: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._now = now
        self._background: set[asyncio.Future[object]] = set()

    def booth_changes(self, changes: list[AlertChange]) -> None:
        """Raise or clear these alerts (logged once each, as stored)."""
        if changes:
            self._spawn(self._store_and_log(changes))

    def office_change(self, change: AlertChange, at: dt.datetime) -> None:
        """An office-level alert (no booth): stored, not logged here."""
        self._spawn(self._db.run(lambda conn: apply_alert_changes(conn, [change], at)))

    def power_alert(self, alert: PowerAlert) -> None:
        change = AlertChange(alert.action, None, alert.kind, detail=alert.detail)
        self.office_change(change, alert.at)

    def upstream_status(self, status: UpstreamStatus) -> None:
        self.office_change(stale_backlog_change(status), self._now())

    def run_job(self, job: Callable[[sqlite3.Connection], object] | None) -> None:
        """Run an alert-clearing job on the database thread, in the background."""
        if job is not None:
            self._spawn(self._db.run(job))

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _store_and_log(self, changes: list[AlertChange]) -> None:
        now = self._now()
        applied = await self._db.run(lambda conn: apply_alert_changes(conn, changes, now))
        for change in applied:
            level = logging.WARNING if change.action == "raise" else logging.INFO
            log.log(
                level,
                "alert %s %s %s %s %s",
                change.action,
                change.booth_id,
                change.kind,
                change.subject,
                change.detail,
            )
