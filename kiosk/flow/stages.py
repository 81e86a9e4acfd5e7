"""The flows' port for timing a visit: each stage reached is reported, with no NIK.

The booth wires :class:`kiosk.uplink.stage_events.StageRecorder`, which stamps the time
and keeps the event in the outbox for the edge; tests and practice flows use
:data:`NO_STAGES`.
"""

from __future__ import annotations

from typing import Protocol

from ektp.messages import Scalar
from ektp.service_stages import Stage
from kiosk.flow.ports import Ticket

__all__ = ["NO_STAGES", "Stage", "StageSink", "visit_fields"]


class StageSink(Protocol):
    def record(self, stage: Stage, **fields: Scalar) -> None:
        """Report that a visit reached ``stage`` now. Never raises for lack of space."""
        ...


class _NoStages:
    def record(self, stage: Stage, **fields: Scalar) -> None:
        return None


NO_STAGES: StageSink = _NoStages()
"""A sink that keeps nothing (practice flows, tests that do not time visits)."""


def visit_fields(ticket: Ticket) -> dict[str, Scalar]:
    """What ties a stage to its visit: the ticket number and when it was issued."""
    return {
        "ticket": ticket.number,
        "checked_in": ticket.issued_at.isoformat(),
        "kelurahan": ticket.checkin.kelurahan or "-",
    }
