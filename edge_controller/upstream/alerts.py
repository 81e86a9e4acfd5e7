"""The stale-backlog alert: an office-level row in the alerts table (no booth).

The forwarder flips its ``alert`` flag when the oldest unsent item gets older than
``alert_unsent_after_hours`` (and back when the backlog drains) and calls its
``on_alert`` hook on each flip. :func:`stale_backlog_change` turns that status into
the :class:`~edge_controller.booths.monitor.AlertChange` the service stores; storing is
idempotent (one open row per kind), so the service also applies it once after the
forwarder started, which closes an alert left open by a run that ended before the
backlog drained.
"""

from __future__ import annotations

from edge_controller.booths.monitor import AlertChange
from edge_controller.upstream.status import UpstreamStatus

STALE_BACKLOG = "upstream_stale"
"""The alert's kind (``alerts.kind``)."""


def stale_backlog_change(status: UpstreamStatus) -> AlertChange:
    """Raise the alert while ``status.alert`` holds, else clear it (office-level)."""
    if not status.alert:
        return AlertChange("clear", None, STALE_BACKLOG)
    hours = (status.oldest_unsent_age_seconds or 0.0) / 3600
    detail = (
        f"oldest unsent item is {hours:.1f} h old; {status.backlog_count} item(s), "
        f"{status.backlog_bytes} bytes waiting; forwarder {status.state}"
    )
    if status.last_error:
        detail += f" ({status.last_error})"
    return AlertChange("raise", None, STALE_BACKLOG, detail=detail[:300])
