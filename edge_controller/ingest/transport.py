"""Opening the booths' enrollment envelopes before the ingest pipeline.

A booth publishes each sealed packet inside a transport envelope
(:mod:`ektp.transport_seal`: AES-256-GCM under a key derived from the office roster
secret, bound to the booth and the packet id), so the NIK and KK in the packet's
signed manifest are never readable on the broker. :class:`EnrollmentOpener` sits
between the service's routing and :class:`~edge_controller.ingest.pipeline.IngestPipeline`:
it opens the envelope (tens of µs for a 60 KB packet, on the event loop) and hands the
packet, unchanged, to the pipeline.

A payload that does not open — not sealed, another secret, a flipped bit, another
booth's envelope — is refused: counted with the packet refusals, alerted
(``packet_rejected``, subject the ``transport.*`` code) and **not acked**, so the booth
keeps the packet and sends it again (once it has the office's current key, it opens).
``[ingest] accept_unsealed_enrollments`` lets an office take bare packets from booths
that predate the envelope while they are updated (off by default).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from edge_controller.booths.monitor import AlertChange
from edge_controller.ingest.alert_recorder import AlertRecorder
from edge_controller.ingest.checks import Incoming
from edge_controller.ingest.packet_alerts import PacketAlertTracker
from edge_controller.ingest.pipeline import IngestPipeline
from ektp.roster_keys import RosterSecret
from ektp.transport_seal import MSG_OLD_KEY, TransportKey, TransportSealError, is_sealed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Refused:
    """A refusal as :meth:`PacketAlertTracker.after_ingest` reads it."""

    booth_id: str
    code: str
    outcome: str = "rejected"


class EnrollmentOpener:
    """Opens enrollment envelopes for the pipeline; see the module docstring."""

    def __init__(
        self,
        pipeline: IngestPipeline,
        alerts: AlertRecorder,
        packet_alerts: PacketAlertTracker,
        *,
        accept_unsealed: bool = False,
    ) -> None:
        self._pipeline = pipeline
        self._alerts = alerts
        self._packet_alerts = packet_alerts
        self.accept_unsealed = accept_unsealed
        self._key: TransportKey | None = None

    def use(self, secret: RosterSecret) -> None:
        """The office roster secret whose envelopes open (the one in use)."""
        self._key = TransportKey(secret)

    def receive(self, incoming: Incoming) -> None:
        """Open ``incoming`` and pass its packet on, or refuse it (on the event loop)."""
        payload = incoming.payload
        if self.accept_unsealed and not is_sealed(payload):
            self._pipeline.receive(incoming)
            return
        try:
            if self._key is None:
                raise TransportSealError(MSG_OLD_KEY, code="transport.no_key")
            opened = self._key.open(incoming.booth_id, payload)
        except TransportSealError as err:
            self._refuse(incoming, err.code)
            return
        self._pipeline.receive(replace(incoming, payload=opened.payload))

    def _refuse(self, incoming: Incoming, code: str) -> None:
        booth_id = incoming.booth_id
        log.warning("refused an enrollment message from %s: %s (not acked)", booth_id, code)
        self._pipeline.rejections.add(booth_id, code)
        detail = f"enrollment message refused before its checks: {code}"
        self._alerts.booth_changes(
            [AlertChange("raise", booth_id, "packet_rejected", code, detail)]
        )
        at = incoming.received_at.astimezone(dt.UTC)
        self._alerts.run_job(self._packet_alerts.after_ingest([_Refused(booth_id, code)], at))
