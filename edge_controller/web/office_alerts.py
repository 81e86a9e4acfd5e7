"""Open alerts about the office itself (no booth): power state unknown, stale backlog.

Shown on the overview above the booths, and in ``/api/v1/alerts`` with a null booth.
"""

from __future__ import annotations

from fastapi import Request

from edge_controller.booths.monitor import Alert, office_alerts
from edge_controller.web.context import run_db
from ektp.i18n import N_

KIND_LABELS = {
    "ups_unreachable": N_("The UPS does not answer: the power state is unknown"),
    "upstream_stale": N_("Records are waiting too long to be sent to central"),
    "upstream_held": N_("Central refused records for good: a person must look"),
    "client_takeover": N_("An office certificate connected twice: a copy may be in use"),
}
"""What the office reads for each office-level alert kind (gettext ids)."""


async def open_office_alerts(request: Request) -> list[Alert]:
    return await run_db(request, office_alerts)
