"""The forwarder: committed packets → central, resumable, paced, receipted (DESIGN step 5).

One asyncio task. Each round picks a batch (:func:`store.next_batch`: oldest first,
enrollments before telemetry) and uploads it with ``parallel_uploads`` workers
through :class:`~edge_controller.upstream.tus_client.TusClient`. An item becomes
``forwarded`` only in the transaction that stores central's verified receipt.

* Link or central down (connect/read errors, 5xx, 423, a receipt that does not
  verify): the round stops picking items and the forwarder waits an exponential
  backoff with jitter (half fixed, half random) before the next round.
* Central refuses an item for good (bad signature, schema, id conflict): it is
  *held* (kept, counted, never re-sent by itself); for now (booth not yet
  registered at central): retried after ``retry_later_seconds``.
* Every round also purges packet bytes ``retention_days`` after their receipt and
  refreshes :attr:`Forwarder.last_status`; the alert flips when the oldest unsent
  item is older than ``alert_unsent_after_hours`` (logged, and ``on_alert`` called).

The forwarder works through a :class:`~edge_controller.ingest.executor.DatabaseExecutor`:
inside the edge service, the service's one database executor (given as ``database``);
run alone (``python -m edge_controller.upstream``), one of its own on ``db_path``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from edge_controller.config.upstream import UpstreamConfig
from edge_controller.ingest.executor import DatabaseExecutor
from edge_controller.upstream import store
from edge_controller.upstream.pacing import TokenBucket, allowed_rate
from edge_controller.upstream.status import ForwarderState, RateMeter, UpstreamStatus
from edge_controller.upstream.tus_client import Attempt, CentralRefused, LinkError, TusClient
from ektp.receipts import load_receipt_public_key

log = logging.getLogger(__name__)
PURGE_INTERVAL = dt.timedelta(hours=1)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Journal:
    def __init__(self, forwarder: Forwarder, packet_id: str) -> None:
        self._forwarder = forwarder
        self._packet_id = packet_id

    async def url_known(self, url: str) -> None:
        now = self._forwarder.clock()
        await self._forwarder.db.run(
            lambda conn: store.save_progress(
                conn, self._packet_id, upload_url=url, bytes_sent=0, error="", now=now
            )
        )

    async def url_lost(self) -> None:
        await self._forwarder.db.run(lambda conn: store.forget_upload_url(conn, self._packet_id))


class Forwarder:
    """Create with the config, ``await start()``; ``await stop()`` when the edge stops."""

    def __init__(
        self,
        config: UpstreamConfig,
        db_path: Path | str,
        *,
        timezone: ZoneInfo,
        clock: Callable[[], dt.datetime] = utcnow,
        on_alert: Callable[[UpstreamStatus], None] | None = None,
        rng: random.Random | None = None,
        database: DatabaseExecutor | None = None,
    ) -> None:
        self.config = config
        self.timezone = timezone
        self.clock = clock
        self._owns_db = database is None
        """Close the executor on stop only if the forwarder made it."""
        self.db = database or DatabaseExecutor(Path(db_path), thread_name="upstream-db")
        self._on_alert = on_alert
        self._rng = rng or random.Random()
        self._meter = RateMeter()
        self._bucket = TokenBucket(lambda: allowed_rate(config, self.clock(), timezone))
        self._client: TusClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._state: ForwarderState = "starting"
        self._last_error = ""
        self._next_attempt_at: dt.datetime | None = None
        self._forwarded = 0
        self._bytes_sent = 0
        self._alert = False
        self._last_purge: dt.datetime | None = None
        self.last_status: UpstreamStatus | None = None

    async def start(self) -> None:
        await self.db.open()
        receipt_key = load_receipt_public_key(self.config.receipt_public_key_path.read_bytes())
        self._client = TusClient(
            self.config, self._bucket, receipt_key, on_confirmed=self._meter.add
        )
        await self.status()
        self._task = asyncio.create_task(self._run(), name="upstream-forwarder")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()
        self._state = "stopped"
        if self._owns_db:
            await asyncio.to_thread(self.db.close)

    def wake(self) -> None:
        """New items were committed: look now instead of at the next idle poll."""
        self._wake.set()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                picked = await self.forward_round()
            except LinkError as err:
                failures += 1
                await self._back_off(failures, str(err))
                continue
            except Exception as err:  # a bug must not stop forwarding for good
                log.exception("upstream round failed")
                failures += 1
                await self._back_off(failures, f"internal: {type(err).__name__}")
                continue
            failures = 0
            if picked == 0:
                self._state = "idle"
                await self._maintain()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.idle_poll_seconds)

    async def _back_off(self, failures: int, error: str) -> None:
        ceiling = min(
            self.config.backoff_max_seconds,
            self.config.backoff_initial_seconds * 2 ** min(failures - 1, 30),
        )
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        self._state = "backing_off"
        self._last_error = error
        self._next_attempt_at = self.clock() + dt.timedelta(seconds=delay)
        log.info("upstream: %s; next attempt in %.1f s", error, delay)
        await self._maintain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)
        self._next_attempt_at = None

    async def forward_round(self) -> int:
        """Upload what is waiting; returns how many items were picked.

        The round starts with one batch; a worker that finds the batch used up picks
        the next one while the others are still uploading (items in flight left out),
        so the link does not idle for a round trip at every batch boundary. The round
        ends when nothing is left to pick. Raises :class:`LinkError` (after the
        workers finished) if the link failed.
        """
        seen: set[str] = set()
        waiting = await self._pick(seen)
        if not waiting:
            return 0
        self._state = "sending"
        picked = len(waiting)
        failure: list[LinkError] = []
        refill = asyncio.Lock()

        async def worker() -> None:
            nonlocal picked
            while not failure:
                if not waiting:
                    async with refill:
                        if not waiting and not failure:
                            more = await self._pick(seen)
                            picked += len(more)
                            waiting.extend(more)
                            await self._maintain()
                    if not waiting:
                        return
                item = waiting.pop(0)
                try:
                    await self._forward(item)
                except LinkError as err:
                    failure.append(err)

        await asyncio.gather(*(worker() for _ in range(self.config.parallel_uploads)))
        await self._maintain()
        if failure:
            raise failure[0]
        return picked

    async def _pick(self, seen: set[str]) -> list[store.OutgoingItem]:
        """The next batch, without the items this round already picked (``seen``)."""
        now = self.clock()
        limit = self.config.batch_size + len(seen)
        batch = await self.db.run(lambda conn: store.next_batch(conn, limit, now))
        fresh = [item for item in batch if item.packet_id not in seen][: self.config.batch_size]
        seen.update(item.packet_id for item in fresh)
        return fresh

    async def _forward(self, item: store.OutgoingItem) -> None:
        assert self._client is not None
        data = await self.db.run(lambda conn: store.item_bytes(conn, item))
        started = self.clock()
        await self.db.run(lambda conn: store.begin_attempt(conn, item.packet_id, started))
        attempt = Attempt()
        error = ""
        try:
            signed = await self._client.upload(item, data, _Journal(self, item.packet_id), attempt)
        except CentralRefused as refusal:
            error = refusal.code
            await self._refused(item, refusal)
            return
        except (LinkError, asyncio.CancelledError) as err:
            error = str(err) or type(err).__name__
            raise
        finally:
            self._bytes_sent += attempt.bytes_sent
            now = self.clock()
            await self.db.run(
                lambda conn: store.save_progress(
                    conn,
                    item.packet_id,
                    upload_url=None,
                    bytes_sent=attempt.bytes_sent,
                    error=error,
                    now=now,
                )
            )
        stored_at = self.clock()
        await self.db.run(lambda conn: store.record_receipt(conn, item, signed, stored_at))
        self._forwarded += 1
        self._last_error = ""

    async def _refused(self, item: store.OutgoingItem, refusal: CentralRefused) -> None:
        now = self.clock()
        if refusal.retryable:
            until = now + dt.timedelta(seconds=self.config.retry_later_seconds)
            log.warning(
                "central refused %s %s for now: %s", item.kind, item.packet_id, refusal.code
            )
            await self.db.run(
                lambda conn: store.defer(conn, item.packet_id, refusal.code, until, now)
            )
        else:
            log.error("central refused %s %s: %s (held)", item.kind, item.packet_id, refusal.code)
            await self.db.run(lambda conn: store.hold(conn, item.packet_id, refusal.code, now))

    async def _maintain(self) -> None:
        now = self.clock()
        if self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL:
            self._last_purge = now
            cutoff = now - dt.timedelta(days=self.config.retention_days)
            purged = await self.db.run(lambda conn: store.purge_forwarded(conn, cutoff))
            if purged:
                log.info("upstream: purged the bytes of %d forwarded items", purged)
        await self.status()

    async def purge_now(self) -> int:
        """Purge what is past retention now (the hourly purge does it by itself)."""
        cutoff = self.clock() - dt.timedelta(days=self.config.retention_days)
        return await self.db.run(lambda conn: store.purge_forwarded(conn, cutoff))

    async def status(self) -> UpstreamStatus:
        """Read the backlog and build a fresh status (also kept as :attr:`last_status`)."""
        backlog, last_success, receipts = await self.db.run(
            lambda conn: (
                store.backlog(conn),
                store.last_receipt_at(conn),
                store.receipts_stored(conn),
            )
        )
        figures = backlog.figures(self.clock())
        age = figures.oldest_unsent_age_seconds
        alert_after = self.config.alert_unsent_after_hours * 3600
        alert = age is not None and age > alert_after
        status = UpstreamStatus(
            **figures.backlog_fields(),
            state=self._state,
            alert=alert,
            link_rate_bytes_per_second=self._meter.rate(),
            rate_cap_bytes_per_second=self._bucket.current_rate(),
            last_success_at=last_success,
            last_error=self._last_error,
            next_attempt_at=self._next_attempt_at,
            forwarded_since_start=self._forwarded,
            bytes_sent_since_start=self._bytes_sent,
            bytes_confirmed_since_start=self._meter.total,
            receipts_stored=receipts,
            alert_after_seconds=alert_after,
        )
        if alert != self._alert:
            self._alert = alert
            if alert:
                log.warning(
                    "upstream alert: oldest unsent item is %.1f h old (%d waiting)",
                    (age or 0) / 3600,
                    backlog.count,
                )
            else:
                log.info("upstream alert cleared")
            if self._on_alert is not None:
                self._on_alert(status)
        self.last_status = status
        return status


async def start_forwarder(
    config: UpstreamConfig,
    db_path: Path | str,
    *,
    timezone: ZoneInfo,
    on_alert: Callable[[UpstreamStatus], None] | None = None,
    database: DatabaseExecutor | None = None,
) -> Forwarder:
    """Build and start the forwarder task (on ``database``, else its own executor)."""
    forwarder = Forwarder(config, db_path, timezone=timezone, on_alert=on_alert, database=database)
    await forwarder.start()
    return forwarder
