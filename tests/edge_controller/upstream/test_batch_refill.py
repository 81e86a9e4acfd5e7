"""A backlog larger than one batch goes out in one go: workers pick the next batch while
the others still upload (no idle round trip at each batch), and nothing is sent twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.edge_controller.upstream.upstream_fixtures import (
    CentralProcess,
    Pki,
    edge_backlog,
    edge_rows,
    forwarded_ids,
    module_central,
    run_forwarder,
    upstream_config,
)


def test_workers_refill_from_the_backlog_and_send_each_packet_once(
    central: tuple[Pki, CentralProcess], tmp_path: Path
) -> None:
    pki, server = central
    db, packets = edge_backlog(pki, tmp_path, 9, 4_000)
    config = upstream_config(pki, server.port, batch_size=2, parallel_uploads=3)
    forwarder = asyncio.run(run_forwarder(config, db))
    stored = server.stored()
    expected = {str(packet.packet_id) for packet in packets}
    assert forwarder.last_status is not None
    assert forwarder.last_status.forwarded_since_start == 9
    assert set(stored) == expected
    assert forwarded_ids(db) == expected
    attempts = edge_rows(db, "SELECT attempts, bytes_sent FROM upstream_uploads")
    assert [row["attempts"] for row in attempts] == [1] * 9  # none picked twice
    sizes = {row["packet_id"]: row["size"] for row in stored.values()}
    assert sum(row["bytes_sent"] for row in attempts) == sum(sizes.values())
