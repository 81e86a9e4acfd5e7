"""Records central refused for good ("held"): the office alert, and sending them again.

The forwarder holds an item when central refuses it for good (bad signature, schema,
id conflict): it is kept, counted and never re-sent by itself (see
:mod:`edge_controller.upstream.forwarder`). A person has to look, so:

* :func:`sync_held_alert` keeps one office-level alert ``upstream_held`` open while
  anything is held, its text naming how many and why (central's codes), e.g.
  ``3 record(s) refused by central and held: schema.invalid × 2, …``; it clears when
  nothing is held. The service runs it every ``idle_poll_seconds`` (:func:`watch_held`).
* :func:`retry_held` — ``rekam-edge upstream retry-held --config F [--code C]`` — sends
  them again (after central was fixed, or the booth registered there): the hold is
  lifted in one transaction with a hash-chained audit entry naming who did it, and
  the forwarder picks them up at its next round. A record central refuses again is
  held again and the alert comes back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from edge_controller.audit_log import append_audit
from edge_controller.booths.monitor import AlertChange, apply_alert_changes
from edge_controller.ingest.db import transaction
from edge_controller.upstream.store import held_by_code, release_held

log = logging.getLogger(__name__)

HELD_ALERT = "upstream_held"
"""The alert's kind (``alerts.kind``), office-level (no booth)."""
RETRY_EVENT = "upstream.retry_held"
"""The audit entry written when a person sends held records again."""


def held_alert_change(groups: list[tuple[str, int]]) -> AlertChange:
    """Raise the alert with the count and the codes, or clear it when nothing is held."""
    if not groups:
        return AlertChange("clear", None, HELD_ALERT)
    total = sum(count for _, count in groups)
    reasons = ", ".join(f"{code} × {count}" for code, count in groups)
    detail = (
        f"{total} record(s) refused by central and held: {reasons}. "
        "Send again: rekam-edge upstream retry-held"
    )
    return AlertChange("raise", None, HELD_ALERT, detail=detail[:300])


def sync_held_alert(conn: sqlite3.Connection, now: dt.datetime) -> AlertChange:
    """Make the open ``upstream_held`` alert match what is held now; returns the change."""
    change = held_alert_change(held_by_code(conn))
    applied = apply_alert_changes(conn, [change], now)
    if change.action == "raise":  # an open alert keeps its row; its text follows the count
        with transaction(conn):
            conn.execute(
                "UPDATE alerts SET detail = ? WHERE booth_id IS NULL AND kind = ?"
                " AND cleared_at IS NULL AND detail != ?",
                (change.detail, HELD_ALERT, change.detail),
            )
    for done in applied:
        log.log(
            logging.WARNING if done.action == "raise" else logging.INFO,
            "alert %s %s %s",
            done.action,
            HELD_ALERT,
            done.detail,
        )
    return change


def retry_held(
    conn: sqlite3.Connection, now: dt.datetime, *, actor: str, code: str | None = None
) -> list[str]:
    """Lift the hold (all held records, or those central refused with ``code``), audited.

    Returns the ids sent again; the alert is brought up to date in the same call."""
    with transaction(conn):
        released = release_held(conn, now, code)
        if released:
            append_audit(
                conn,
                RETRY_EVENT,
                now,
                actor=actor,
                count=len(released),
                code=code or "*",
                packet_ids=released[:50],
            )
    if released:
        log.warning("%s sent %d held record(s) again (%s)", actor, len(released), code or "all")
    sync_held_alert(conn, now)
    return released


async def watch_held(
    run_db: Callable[[Callable[[sqlite3.Connection], AlertChange]], Awaitable[AlertChange]],
    now: Callable[[], dt.datetime],
    interval_seconds: float,
) -> None:
    """Keep the alert in step with the held records until cancelled (the service's task)."""
    while True:
        try:
            await run_db(functools.partial(sync_held_alert, now=now()))
        except sqlite3.Error:
            log.exception("upstream: could not check the held records")
        await asyncio.sleep(interval_seconds)
