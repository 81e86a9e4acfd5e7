"""The ingest pipeline: check → group commit → ack, for ``booths/<id>/enrollments``.

:class:`IngestPipeline` takes what the router hands it (:meth:`IngestPipeline.receive`,
on the event loop) and, in :meth:`IngestPipeline.run`:

1. batches whatever is waiting (up to ``ingest.max_batch``);
2. **checks** every packet off the loop (:func:`~edge_controller.ingest.checks.check_packet`,
   with the booths' key rings read on the database's reader connection and cached by
   PEM): a batch of :data:`CHECK_PROCESS_MIN_BATCH` packets or more shared, interleaved,
   among the :data:`CHECK_PROCESSES`
   :class:`~edge_controller.ingest.check_process.CheckProcess` helpers (started with the
   pipeline, each restarted if it dies), a smaller one — or any while none is ready —
   in a worker thread;
3. calls the injected ``before_commit`` hook, if any, when the batch holds a verified
   packet (tests stop there to kill the process between receive and commit);
4. **commits** the batch in one transaction on the database thread
   (:func:`~edge_controller.ingest.checks.commit_checked`);
5. accounts for the results (counters, refused-packet alerts, the roster publisher);
6. hands the results to the **ack** task, which publishes one ack per booth — only
   after the commit returned.

Checking and committing are two stages joined by a short queue, so batch *n + 1* is
verified (CPU) while batch *n* is written and fsynced (I/O, outside the GIL); checked
batches that wait for the database are merged into one transaction (up to
``ingest.max_batch``). Each stage keeps the order it received, so packets are still
committed, and acked, in arrival order. Profiling (``py-spy``, issue 20) found the
one-stage loop spending about two thirds of its time in signature checks with the
database idle, and one third committing with the checks idle; and, with both stages
in one process, the checks holding the GIL that the TLS reads and commits wait for:
hence the helper processes for bursts. When it starts, the pipeline also tunes the
process for bursts (:mod:`~edge_controller.ingest.process_tuning`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_controller.booths.keys import BoothKeyRing, booth_key_rings
from edge_controller.booths.monitor import AlertChange
from edge_controller.config.edge import IngestConfig
from edge_controller.ingest.alert_recorder import AlertRecorder
from edge_controller.ingest.check_process import CheckProcess, CheckRequest, portable_rings
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
from edge_controller.ingest.process_tuning import tune_for_bursts
from ektp.messages import encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.topics import Topic, booth_topic

log = logging.getLogger(__name__)

CHECK_PROCESS_MIN_BATCH = 8
"""Batches this large are checked in the helper processes (a burst: a reconnect, a storm)."""
CHECK_PROCESSES = min(2, os.cpu_count() or 1)
"""Helper processes sharing each burst batch (~45 MB each): with one, checks were the
slower stage of a burst on two cores (~0.3 ms of CPU per packet then, against ~0.12 ms
per packet of group commit)."""
CHECKED_WAITING = 2
"""Checked batches that may wait for the database before the check stage pauses."""

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
        self._processes: list[CheckProcess | None] = [None] * CHECK_PROCESSES

    @property
    def check_process(self) -> CheckProcess | None:
        """The first helper process checking bursts, once started (the dashboard, tests)."""
        return self._processes[0]

    @property
    def check_processes(self) -> list[CheckProcess]:
        """Every helper process started (and not yet found dead)."""
        return [p for p in self._processes if p is not None]

    def receive(self, incoming: Incoming) -> None:
        """Queue one received packet (call on the event loop)."""
        self._incoming.put_nowait(incoming)

    async def run(self) -> None:
        """Ingest and ack until cancelled."""
        checked: asyncio.Queue[list[Checked]] = asyncio.Queue(CHECKED_WAITING)
        # a storm may follow a restart: start the helpers now
        self._processes = [_start_check_process() for _ in range(CHECK_PROCESSES)]
        tune_for_bursts()  # the collector and the heap (issue 20)
        tasks = [
            asyncio.create_task(self._ack_loop(), name="acks"),
            asyncio.create_task(self._commit_loop(checked), name="ingest-commit"),
        ]
        try:
            await self._check_loop(checked)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            processes, self._processes = self._processes, [None] * CHECK_PROCESSES
            for process in processes:
                if process is not None:
                    await asyncio.to_thread(process.close)

    async def _check_loop(self, out: asyncio.Queue[list[Checked]]) -> None:
        while True:
            batch = [await self._incoming.get()]
            while len(batch) < self.config.max_batch and not self._incoming.empty():
                batch.append(self._incoming.get_nowait())
            try:
                checked = await self._check(batch)
            except Exception:
                log.exception("check of %d packets failed; the booths will re-send", len(batch))
                continue
            await out.put(checked)

    async def _commit_loop(self, checked: asyncio.Queue[list[Checked]]) -> None:
        carried: list[Checked] | None = None
        while True:
            batch, carried = carried or await checked.get(), None
            while not checked.empty():  # merged, never past max_batch (an ack's limit)
                more = checked.get_nowait()
                if len(batch) + len(more) > self.config.max_batch:
                    carried = more
                    break
                batch = batch + more
            try:
                await self._commit(batch)
            except Exception:
                log.exception("ingest of %d packets failed; the booths will re-send", len(batch))

    async def _check(self, batch: list[Incoming]) -> list[Checked]:
        keys = await self._booth_keys({item.booth_id for item in batch})
        limit = self.config.max_packet_bytes
        grace = dt.timedelta(seconds=self.config.retired_key_grace_seconds)
        ready = self._ready_processes() if len(batch) >= CHECK_PROCESS_MIN_BATCH else []
        if ready:
            shares = [batch[n :: len(ready)] for n in range(len(ready))]  # interleaved
            rings = portable_rings(keys)
            answers = await asyncio.gather(
                *(
                    asyncio.to_thread(
                        process.check,
                        share,
                        CheckRequest([(i.booth_id, i.payload) for i in share], rings, limit, grace),
                    )
                    for process, share in zip(ready, shares, strict=True)
                ),
                return_exceptions=True,
            )
            failed = [a for a in answers if isinstance(a, BaseException)]
            if not failed:
                by_share = [a for a in answers if not isinstance(a, BaseException)]
                return [by_share[n % len(ready)][n // len(ready)] for n in range(len(batch))]
            if not all(isinstance(a, OSError | EOFError) for a in failed):
                raise failed[0]
            log.warning("a check process failed (%s); checking here", failed[0])
            await self._close_failed(ready, answers)
        return await asyncio.to_thread(
            lambda: [
                check_packet(i, keys.get(i.booth_id), max_size=limit, retired_key_grace=grace)
                for i in batch
            ]
        )

    def _ready_processes(self) -> list[CheckProcess]:
        """The helper processes that are ready; starts another for each that died."""
        for n, process in enumerate(self._processes):
            if process is None or not process.alive:
                if process is not None:
                    process.close()  # already ended: reaps it, closes its socket
                self._processes[n] = _start_check_process()
        return [p for p in self._processes if p is not None and p.ready]

    async def _close_failed(self, ready: list[CheckProcess], answers: Sequence[object]) -> None:
        for process, answer in zip(ready, answers, strict=True):
            if isinstance(answer, BaseException):
                self._processes[self._processes.index(process)] = None
                await asyncio.to_thread(process.close)

    async def _commit(self, checked: list[Checked]) -> None:
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
        return await self._db.read(lambda conn: booth_key_rings(conn, booth_ids, cache))

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


def _start_check_process() -> CheckProcess | None:
    try:
        return CheckProcess()
    except OSError as err:  # the checks then run in a thread: slower, the same
        log.warning("cannot start the check process (%s); checking in the edge", err)
        return None
