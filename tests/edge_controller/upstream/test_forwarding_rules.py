"""Forwarding rules the office notices: order, daytime cap, retention, the stale alert."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

from edge_controller.ingest.db import connect
from edge_controller.upstream import store
from edge_controller.upstream.forwarder import Forwarder
from edge_controller.upstream.pacing import TokenBucket, allowed_rate
from edge_controller.upstream.status import UpstreamCollector
from ektp.receipts import Receipt, load_receipt_private_key, receipt_key_id, sign_receipt
from tests.edge_controller.broker_fixtures import free_loopback_port
from tests.edge_controller.upstream.upstream_fixtures import (
    WITA,
    commit_packets,
    edge_backlog,
    edge_rows,
    make_packets,
    make_pki,
    upstream_config,
)


def test_enrollments_go_before_telemetry_and_oldest_first(tmp_path: Path):
    pki = make_pki(tmp_path)
    db = tmp_path / "edge.sqlite3"
    conn = connect(db)
    now = dt.datetime.now(dt.UTC)
    early_report = store.enqueue_telemetry(conn, "daily", {"v": 1}, now - dt.timedelta(days=2))
    conn.close()
    packets = make_packets(pki, 3, photo_bytes=500)
    commit_packets(db, pki, packets)
    conn = connect(db)
    batch = store.next_batch(conn, 10, now)
    conn.close()
    assert [item.packet_id for item in batch] == [
        *(str(packet.packet_id) for packet in packets),
        early_report,
    ]
    assert [item.kind for item in batch] == ["enrollment"] * 3 + ["telemetry"]


def test_half_the_link_is_kept_free_during_office_hours(tmp_path: Path):
    pki = make_pki(tmp_path)
    config = upstream_config(pki, 443, link_capacity_kbit=1000)
    monday_10 = dt.datetime(2026, 3, 9, 10, 0, tzinfo=WITA)
    monday_20 = dt.datetime(2026, 3, 9, 20, 0, tzinfo=WITA)
    sunday_10 = dt.datetime(2026, 3, 15, 10, 0, tzinfo=WITA)
    assert allowed_rate(config, monday_10, WITA) == 62_500  # 1 Mbit/s × 0.5, in bytes
    assert allowed_rate(config, monday_20, WITA) == 125_000
    assert allowed_rate(config, sunday_10, WITA) == 125_000
    assert allowed_rate(upstream_config(pki, 443), monday_10, WITA) is None


def test_the_token_bucket_holds_the_rate():
    clock = [0.0]

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    bucket = TokenBucket(lambda: 10_000.0, clock=lambda: clock[0], sleep=fake_sleep)

    async def send() -> None:
        for _ in range(50):
            await bucket.take(2_000)

    asyncio.run(send())
    assert 9.7 <= clock[0] <= 10.0  # 100 kB at 10 kB/s (the burst allowance saves ≤ 0.25 s)


def _forward_with_receipt(db: Path, pki, item: store.OutgoingItem, at: dt.datetime) -> None:
    key = load_receipt_private_key(pki.receipt_key.read_bytes())
    receipt = Receipt(
        item.packet_id, item.kind, item.sha256, item.size, at, receipt_key_id(key.public_key())
    )
    conn = connect(db)
    store.record_receipt(conn, item, sign_receipt(receipt, key), at)
    conn.close()


def test_packet_bytes_are_purged_after_retention_and_the_receipt_kept(tmp_path: Path):
    pki = make_pki(tmp_path)
    db, packets = edge_backlog(pki, tmp_path, 2, 500)
    conn = connect(db)
    old_item, new_item = store.next_batch(conn, 10, dt.datetime.now(dt.UTC))
    conn.close()
    now = dt.datetime.now(dt.UTC)
    _forward_with_receipt(db, pki, old_item, now - dt.timedelta(days=31))
    _forward_with_receipt(db, pki, new_item, now - dt.timedelta(days=1))

    async def purge() -> int:
        forwarder = Forwarder(
            upstream_config(pki, free_loopback_port(), retention_days=30), db, timezone=WITA
        )
        await forwarder.start()
        try:
            return await forwarder.purge_now()
        finally:
            await forwarder.stop()

    asyncio.run(purge())
    rows = {
        row["packet_id"]: row
        for row in edge_rows(db, "SELECT packet_id, state, length(data) AS n FROM ingested_packets")
    }
    assert (rows[old_item.packet_id]["state"], rows[old_item.packet_id]["n"]) == ("purged", 0)
    assert rows[new_item.packet_id]["state"] == "forwarded"
    assert rows[new_item.packet_id]["n"] == new_item.size
    receipts = edge_rows(db, "SELECT packet_id, sha256 FROM upstream_receipts")
    assert {row["packet_id"] for row in receipts} == {old_item.packet_id, new_item.packet_id}
    assert hashlib.sha256(packets[1].data).hexdigest() == new_item.sha256


def test_an_old_unsent_record_raises_the_alert_and_shows_in_metrics(tmp_path: Path):
    pki = make_pki(tmp_path)
    db = tmp_path / "edge.sqlite3"
    commit_packets(db, pki, make_packets(pki, 2, photo_bytes=500))
    alerts = []
    later = [dt.datetime.now(dt.UTC)]

    async def watch() -> tuple:
        # central is unreachable (nothing listens on the port): the backlog stays
        forwarder = Forwarder(
            upstream_config(pki, free_loopback_port(), alert_unsent_after_hours=2),
            db,
            timezone=WITA,
            clock=lambda: later[0],
            on_alert=alerts.append,
        )
        await forwarder.start()
        try:
            fresh = await forwarder.status()
            later[0] += dt.timedelta(hours=3)
            stale = await forwarder.status()
            return fresh, stale, list(UpstreamCollector(lambda: forwarder.last_status).collect())
        finally:
            await forwarder.stop()

    fresh, stale, metrics = asyncio.run(watch())
    assert not fresh.alert
    assert stale.alert
    assert stale.backlog_count == 2
    assert stale.oldest_unsent_age_seconds > 3 * 3600
    assert len(alerts) == 1
    assert alerts[0].alert
    values = {family.name: family.samples[0].value for family in metrics}
    assert values["rekam_upstream_alert"] == 1
    assert values["rekam_upstream_backlog_items"] == 2
