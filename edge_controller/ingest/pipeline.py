"""The ingest pipeline: check → group commit → ack, for ``booths/<id>/enrollments``.

:class:`IngestPipeline` takes what the router hands it (:meth:`IngestPipeline.receive`,
on the event loop) and, in :meth:`IngestPipeline.run`:

1. batches whatever is waiting (up to ``ingest.max_batch``);
2. **checks** every packet off the loop (:func:`~edge_controller.ingest.checks.check_packet`,
   with the booths' key rings read on the database thread and cached by PEM);
3. calls the injected ``before_commit`` hook, if any, when the batch holds a verified
   packet (tests stop there to kill the process between receive and commit);
4. **commits** the batch in one transaction on the database thread
   (:func:`~edge_controller.ingest.checks.commit_checked`);
5. accounts for the results (counters, refused-packet alerts, the roster publisher);
6. hands the results to the **ack** task, which publishes one ack per booth — only
   after the commit returned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_controller.booths.keys import BoothKeyRing, booth_key_rings
from edge_controller.booths.monitor import AlertChange
from edge_controller.config.edge import IngestConfig
from edge_controller.ingest.alert_recorder import AlertRecorder
from edge_controller.ingest.checks import (
    Checked,
    Incoming,
    IngestResult,
    RejectionCounter,
    ack_messages,
    check_packet,
    commit_checked,
)
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.ingest.packet_alerts import PacketAlertTracker
from ektp.messages import encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.topics import Topic, booth_topic

log = logging.getLogger(__name__)

BeforeCommit = Callable[[Sequence[Checked]], None]
"""Called on a worker thread with a checked batch holding at least one verified packet,
just before that batch is committed. Production passes none; a test injects one."""


class IngestPipeline:
    """Sealed packets in, committed rows and acks out; see the module docstring."""

    def __init__(
        self,
        config: IngestConfig,
        *,
        db: DatabaseExecutor,
        client: MqttClient,
        timezone: ZoneInfo,
        alerts: AlertRecorder,
        packet_alerts: PacketAlertTracker,
        on_committed: Callable[[], None],
        now: Callable[[], dt.datetime],
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.config = config
        self.rejections = RejectionCounter()
        """Refused packets per (booth, code) since start."""
        self.committed_since_start = 0
        self._db = db
        self._client = client
        self._timezone = timezone
        self._alerts = alerts
        self._packet_alerts = packet_alerts
        self._on_committed = on_committed
        self._now = now
        self._before_commit = before_commit
        self._incoming: asyncio.Queue[Incoming] = asyncio.Queue()
        self._acks: asyncio.Queue[list[IngestResult]] = asyncio.Queue()
        self._keys: dict[str, Ed25519PublicKey] = {}

    def receive(self, incoming: Incoming) -> None:
        """Queue one received packet (call on the event loop)."""
        self._incoming.put_nowait(incoming)

    async def run(self) -> None:
        """Ingest and ack until cancelled."""
        acks = asyncio.create_task(self._ack_loop(), name="acks")
        try:
            await self._ingest_loop()
        finally:
            acks.cancel()
            await asyncio.gather(acks, return_exceptions=True)

    async def _ingest_loop(self) -> None:
        while True:
            batch = [await self._incoming.get()]
            while len(batch) < self.config.max_batch and not self._incoming.empty():
                batch.append(self._incoming.get_nowait())
            try:
                await self._ingest(batch)
            except Exception:
                log.exception("ingest of %d packets failed; the booths will re-send", len(batch))

    async def _ingest(self, batch: list[Incoming]) -> None:
        keys = await self._booth_keys({item.booth_id for item in batch})
        limit = self.config.max_packet_bytes
        grace = dt.timedelta(seconds=self.config.retired_key_grace_seconds)
        checked: list[Checked] = await asyncio.to_thread(
            lambda: [
                check_packet(i, keys.get(i.booth_id), max_size=limit, retired_key_grace=grace)
                for i in batch
            ]
        )
        hook = self._before_commit
        if hook is not None and any(item.verified is not None for item in checked):
            await asyncio.to_thread(hook, checked)
        timezone = self._timezone
        results = await self._db.run(lambda conn: commit_checked(conn, checked, timezone))
        self._account(results)
        self._acks.put_nowait(results)

    async def _booth_keys(self, booth_ids: set[str]) -> dict[str, BoothKeyRing]:
        """Active and retired keys of these booths (parsed keys cached by PEM)."""
        cache = self._keys
        return await self._db.run(lambda conn: booth_key_rings(conn, booth_ids, cache))

    def _account(self, results: list[IngestResult]) -> None:
        changes = []
        for result in results:
            if result.outcome == "committed":
                self.committed_since_start += 1
                self._on_committed()
            elif result.outcome in ("rejected", "unknown_booth"):
                code = result.code or "packet.rejected"
                self.rejections.add(result.booth_id, code)
                log.warning(
                    "refused packet %s from %s: %s",
                    result.packet_id or "(unreadable)",
                    result.booth_id,
                    code,
                )
                kind = "unknown_booth" if result.outcome == "unknown_booth" else "packet_rejected"
                detail = f"packet {result.packet_id or '(id unreadable)'} refused: {code}"
                changes.append(AlertChange("raise", result.booth_id, kind, code, detail))
        self._alerts.booth_changes(changes)
        self._alerts.run_job(self._packet_alerts.after_ingest(results, self._now()))

    async def _ack_loop(self) -> None:
        while True:
            results = await self._acks.get()
            for booth_id, ack in ack_messages(results).items():
                topic = booth_topic(booth_id, Topic.ACKS)
                try:
                    await asyncio.to_thread(
                        self._client.publish_and_wait, topic, encode_message(ack)
                    )
                except MqttError as err:
                    log.warning("ack to %s not sent (%s); it will re-send", booth_id, err.code)
