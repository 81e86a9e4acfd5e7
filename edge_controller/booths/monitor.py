"""Booths as the edge sees them: their packet-signing keys, liveness, health and alerts.

Keys
    Each booth signs its packets with an Ed25519 key made on the booth
    (:mod:`kiosk.keys`). Provisioning registers its public half
    (``rekam-edge booth register --id booth-01 --public-key FILE [--rotate]``); the
    edge keeps the active key and the retired ones of replaced units
    (:mod:`edge_controller.booths.keys`, re-exported here). The ingest verifies a packet
    from ``booths/<id>/enrollments`` with the keys of ``<id>`` — the certificate CN the
    broker's ACL tied to that topic — so a booth can only send packets signed with its
    own keys.

Liveness
    A booth is ``online`` while its retained ``booths/<id>/status`` says so *and* it
    keeps sending health reports (the heartbeat); ``silent`` when the status says
    online but no report came for ``heartbeat_timeout_seconds``; ``offline`` after its
    last will or a clean ``offline``; ``unknown`` before anything was heard;
    ``unregistered`` whatever it says when the edge never registered its id (a
    certificate of the office CA that no booth registration matches), with one
    ``unregistered_certificate`` alert.

Alerts
    :class:`BoothMonitor` is plain in-memory logic: it returns :class:`AlertChange`
    values (raise or clear) that the service stores with :func:`apply_alert_changes`
    and logs once. Kinds: ``device_failed`` (a device reports degraded/unavailable),
    ``device_errors`` (its error count jumped), ``silent``, ``outbox_growing`` (depth
    grew over successive reports), ``unregistered_certificate``, from the ingest
    ``unknown_booth`` and ``packet_rejected``, and from the broker's log
    (:mod:`edge_controller.booths.broker_events`) ``client_takeover`` and
    ``retained_message``. One alert stays open per (booth, kind, subject) until cleared.
    Office-level alerts (power state unknown, upstream backlog stale) have no booth:
    their ``booth_id`` is None (:func:`office_alerts`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from edge_controller.booths.keys import (
    BoothKeyRing,
    KeyRegistration,
    booth_public_key,
    parse_booth_public_key,
    register_booth_key,
    registered_booths,
)
from edge_controller.config.health import HealthConfig
from edge_controller.ingest.db import transaction
from ektp.messages import HealthMessage, StatusMessage
from ektp.topics import BOOTH_ID_PATTERN

__all__ = [
    "Alert",
    "AlertChange",
    "BoothKeyRing",
    "BoothMonitor",
    "BoothView",
    "KeyRegistration",
    "apply_alert_changes",
    "booth_public_key",
    "office_alerts",
    "open_alerts",
    "parse_booth_public_key",
    "register_booth_key",
    "registered_booths",
]

BoothState = Literal["online", "silent", "offline", "unknown", "unregistered"]
FAILED_DEVICE_STATES = frozenset({"degraded", "unavailable"})


# --- alerts --------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertChange:
    """Raise or clear one alert; ``subject`` tells apart alerts of one kind.

    ``booth_id`` None: an alert about the office itself (power, upstream), not a booth.
    """

    action: Literal["raise", "clear"]
    booth_id: str | None
    kind: str
    subject: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Alert:
    alert_id: int
    booth_id: str | None  # None: an office-level alert
    kind: str
    subject: str
    detail: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None


def apply_alert_changes(
    conn: sqlite3.Connection, changes: list[AlertChange], now: dt.datetime
) -> list[AlertChange]:
    """Store the changes; return those that changed something (to log each once)."""
    applied = []
    with transaction(conn):
        for change in changes:
            key = (change.booth_id, change.kind, change.subject)
            open_row = conn.execute(
                "SELECT alert_id FROM alerts WHERE booth_id IS ? AND kind = ? AND subject = ?"
                " AND cleared_at IS NULL",
                key,
            ).fetchone()
            if change.action == "raise" and open_row is None:
                conn.execute(
                    "INSERT INTO alerts (booth_id, kind, subject, detail, raised_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (*key, change.detail, now.isoformat()),
                )
                applied.append(change)
            elif change.action == "clear" and open_row is not None:
                conn.execute(
                    "UPDATE alerts SET cleared_at = ? WHERE alert_id = ?",
                    (now.isoformat(), open_row[0]),
                )
                applied.append(change)
    return applied


def open_alerts(conn: sqlite3.Connection, booth_id: str | None = None) -> list[Alert]:
    """Alerts not yet cleared, oldest first (one booth's, or every booth's)."""
    query = "SELECT * FROM alerts WHERE cleared_at IS NULL"
    params: tuple[str, ...] = ()
    if booth_id is not None:
        query += " AND booth_id = ?"
        params = (booth_id,)
    return [_alert(row) for row in conn.execute(query + " ORDER BY alert_id", params)]


def office_alerts(conn: sqlite3.Connection) -> list[Alert]:
    """Open alerts about the office itself (no booth), oldest first."""
    rows = conn.execute(
        "SELECT * FROM alerts WHERE cleared_at IS NULL AND booth_id IS NULL ORDER BY alert_id"
    )
    return [_alert(row) for row in rows]


def _alert(row: sqlite3.Row) -> Alert:
    cleared = row["cleared_at"]
    return Alert(
        alert_id=row["alert_id"],
        booth_id=row["booth_id"],
        kind=row["kind"],
        subject=row["subject"],
        detail=row["detail"],
        raised_at=dt.datetime.fromisoformat(row["raised_at"]),
        cleared_at=dt.datetime.fromisoformat(cleared) if cleared else None,
    )


# --- liveness and health -------------------------------------------------------------


@dataclass
class _Booth:
    booth_id: str
    status: Literal["online", "offline"] | None = None
    software_version: str | None = None
    last_seen: float | None = None  # Unix time of the last sign of life
    health: HealthMessage | None = None
    depths: deque[int] = field(default_factory=deque)
    silent_alerted: bool = False
    unregistered_alerted: bool = False
    denied_publishes: int = 0
    denied_subscribes: int = 0


@dataclass(frozen=True)
class BoothView:
    """One booth for the dashboard (see :meth:`BoothMonitor.snapshot`)."""

    booth_id: str
    state: BoothState
    software_version: str | None
    last_seen: dt.datetime | None
    health: HealthMessage | None
    denied_publishes: int = 0
    """Publishes the broker refused this certificate since the edge started."""
    denied_subscribes: int = 0
    """Subscriptions reaching beyond the topics the ACL lets it read (they get nothing)."""

    @property
    def outbox_depth(self) -> int | None:
        return None if self.health is None else self.health.outbox_depth


class BoothMonitor:
    """Status, heartbeat and health of every booth heard from; raises alerts.

    Times are Unix seconds given by the caller (the service passes ``time.time()``),
    so a test drives it without waiting.
    """

    def __init__(self, config: HealthConfig) -> None:
        self.config = config
        self._booths: dict[str, _Booth] = {}
        self._registered: frozenset[str] | None = None  # None: not told, none unregistered

    def _booth(self, booth_id: str) -> _Booth:
        return self._booths.setdefault(booth_id, _Booth(booth_id))

    def know(self, booth_ids: list[str]) -> list[AlertChange]:
        """The registered booths (listed even before they are heard from, ``unknown``).

        Any other booth heard from is ``unregistered``; an ``unregistered_certificate``
        alert clears once its booth is registered.
        """
        self._registered = frozenset(booth_ids)
        changes = []
        for booth_id in booth_ids:
            booth = self._booth(booth_id)
            if booth.unregistered_alerted:
                booth.unregistered_alerted = False
                changes.append(AlertChange("clear", booth_id, "unregistered_certificate"))
        return changes

    def on_certificate(self, cn: str) -> list[AlertChange]:
        """A client connected with certificate ``cn`` (from the broker's log)."""
        if not BOOTH_ID_PATTERN.fullmatch(cn):
            return []  # the edge, an observer: not a booth
        return self._check_registered(self._booth(cn))

    def on_denied(self, cn: str, what: Literal["publish", "subscribe"]) -> None:
        """Count a publish the broker refused, or a subscription beyond the ACL."""
        booth = self._booth(cn)
        if what == "publish":
            booth.denied_publishes += 1
        else:
            booth.denied_subscribes += 1

    def _check_registered(self, booth: _Booth) -> list[AlertChange]:
        if not self._unregistered(booth) or booth.unregistered_alerted:
            return []
        booth.unregistered_alerted = True
        detail = f"certificate {booth.booth_id} is not a booth this office registered"
        return [AlertChange("raise", booth.booth_id, "unregistered_certificate", "", detail)]

    def _unregistered(self, booth: _Booth) -> bool:
        return (
            self._registered is not None
            and booth.booth_id not in self._registered
            and BOOTH_ID_PATTERN.fullmatch(booth.booth_id) is not None
        )

    def on_status(
        self, message: StatusMessage, now: float, *, retained: bool = False
    ) -> list[AlertChange]:
        booth = self._booth(message.booth_id)
        booth.status = message.state
        booth.software_version = message.software_version
        if message.state == "online":
            seen = message.at.timestamp() if retained and message.at else now
            booth.last_seen = max(booth.last_seen or 0.0, min(seen, now))
        # offline on purpose (or last will): not silent either
        return self._check_registered(booth) + self._clear_silence(booth)

    def on_health(
        self, message: HealthMessage, now: float, *, retained: bool = False
    ) -> list[AlertChange]:
        booth = self._booth(message.booth_id)
        seen = min(message.at.timestamp(), now) if retained else now
        booth.last_seen = max(booth.last_seen or 0.0, seen)
        if self._unregistered(booth):  # its one alert says it all
            booth.health = message
            return self._check_registered(booth)
        changes = self._device_changes(booth.booth_id, booth.health, message)
        changes += self._outbox_changes(booth, message.outbox_depth)
        booth.health = message
        return changes + self._clear_silence(booth)

    def check(self, now: float) -> list[AlertChange]:
        """Raise ``silent`` for online booths whose heartbeat stopped."""
        changes = []
        for booth in self._booths.values():
            if self._state(booth, now) == "silent" and not booth.silent_alerted:
                booth.silent_alerted = True
                changes.append(
                    AlertChange(
                        "raise",
                        booth.booth_id,
                        "silent",
                        detail=f"no health report for {self.config.heartbeat_timeout_seconds:g} s",
                    )
                )
        return changes

    def state(self, booth_id: str, now: float) -> BoothState:
        booth = self._booths.get(booth_id)
        return "unknown" if booth is None else self._state(booth, now)

    def snapshot(self, now: float) -> list[BoothView]:
        return [
            BoothView(
                booth_id=booth.booth_id,
                state=self._state(booth, now),
                software_version=booth.software_version,
                last_seen=(
                    dt.datetime.fromtimestamp(booth.last_seen, dt.UTC) if booth.last_seen else None
                ),
                health=booth.health,
                denied_publishes=booth.denied_publishes,
                denied_subscribes=booth.denied_subscribes,
            )
            for booth in sorted(self._booths.values(), key=lambda b: b.booth_id)
        ]

    # -- internals -------------------------------------------------------------------

    def _state(self, booth: _Booth, now: float) -> BoothState:
        if self._unregistered(booth):
            return "unregistered"
        if booth.status == "offline":
            return "offline"
        if booth.last_seen is None:
            return "unknown"
        if now - booth.last_seen > self.config.heartbeat_timeout_seconds:
            return "silent"
        return "online"

    def _clear_silence(self, booth: _Booth) -> list[AlertChange]:
        if not booth.silent_alerted:
            return []
        booth.silent_alerted = False
        return [AlertChange("clear", booth.booth_id, "silent")]

    def _device_changes(
        self, booth_id: str, before: HealthMessage | None, now: HealthMessage
    ) -> list[AlertChange]:
        changes = []
        for name, device in now.devices.items():
            if device.state in FAILED_DEVICE_STATES:
                detail = f"{name} is {device.state}: {device.detail}"[:300]
                changes.append(AlertChange("raise", booth_id, "device_failed", name, detail))
            elif device.state == "ok":
                changes.append(AlertChange("clear", booth_id, "device_failed", name))
            previous = before.devices.get(name) if before else None
            if previous is None or device.error_count < previous.error_count:
                continue  # first report, or the booth restarted and its counts too
            increase = device.error_count - previous.error_count
            if increase >= self.config.device_error_increase:
                detail = f"{name}: {increase} new errors since the last report"
                changes.append(AlertChange("raise", booth_id, "device_errors", name, detail))
            else:
                changes.append(AlertChange("clear", booth_id, "device_errors", name))
        return changes

    def _outbox_changes(self, booth: _Booth, depth: int) -> list[AlertChange]:
        needed = self.config.outbox_growth_reports + 1
        booth.depths.append(depth)
        while len(booth.depths) > needed:
            booth.depths.popleft()
        depths = list(booth.depths)
        if len(depths) == needed and all(a < b for a, b in itertools.pairwise(depths)):
            detail = f"outbox depth {depths[0]} → {depths[-1]} over {needed - 1} reports"
            return [AlertChange("raise", booth.booth_id, "outbox_growing", "", detail)]
        if (len(depths) >= 2 and depths[-1] < depths[-2]) or depth == 0:
            return [AlertChange("clear", booth.booth_id, "outbox_growing")]
        return []
