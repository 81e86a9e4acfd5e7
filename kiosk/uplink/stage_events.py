"""Stage events: each moment of a visit, stamped and kept in the outbox for the edge.

:class:`StageRecorder` is the booth's :class:`~kiosk.flow.stages.StageSink`. Every stage
becomes an ``audit`` event ``stage.<stage>`` (see :mod:`ektp.service_stages`), committed
to the outbox like every other event and delivered in order until the edge acks it. A
full outbox refuses the next resident elsewhere; a stage that finds it full is dropped
(and logged) rather than stopping a capture half-way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from ektp.messages import EventMessage, Scalar
from ektp.service_stages import Stage, stage_event_name
from kiosk.outbox.errors import OutboxFull
from kiosk.outbox.records import Send
from kiosk.uplink.events import audit_event, event_sendable

log = logging.getLogger(__name__)

SENSOR_DEVICE = "fingerprint"


def stage_event(
    booth_id: str, stage: Stage, at: dt.datetime, data: dict[str, Scalar]
) -> EventMessage:
    """One stage of a visit with a fresh id (the edge counts each id once)."""
    return audit_event(booth_id, stage_event_name(stage), at, **data)


def sensor_id(booth_id: str) -> str:
    """The fingerprint sensor a finger stage was captured on: the booth's own."""
    return f"{booth_id}/{SENSOR_DEVICE}"


class StageRecorder:
    """Stamps each stage with ``clock()`` and sends it through ``send`` (the outbox)."""

    def __init__(
        self,
        booth_id: str,
        send: Send,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._booth_id = booth_id
        self._send = send
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def record(self, stage: Stage, **fields: Scalar) -> None:
        data: dict[str, Scalar] = {k: v for k, v in fields.items() if v is not None}
        if stage is Stage.FINGER:
            data["sensor"] = sensor_id(self._booth_id)
        event = stage_event(self._booth_id, stage, self._clock(), data)
        try:
            self._send(event_sendable(event))
        except OutboxFull:
            log.warning("stage %s not kept: the outbox is full", stage)
