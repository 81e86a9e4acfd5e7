"""Acceptance: records reach central completely and once over a weak, failing link.

Central runs as a real HTTPS process (mutual TLS); the link is the shaping proxy of
:mod:`demo.shaping_proxy` (rate, delay, loss as retransmission
stalls; ``cut()`` drops every connection). After each fault: every packet at central
exactly once with the right bytes, every receipt stored at the edge, and at most one
chunk sent twice per packet.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from demo.shaping_proxy import LinkShape, shaped_link
from ektp.packet import SealedPacket
from tests.edge_controller.upstream.upstream_fixtures import (
    REPO,
    CentralProcess,
    Pki,
    edge_backlog,
    edge_rows,
    forwarded_ids,
    make_pki,
    run_forwarder,
    upstream_config,
    wait_for,
)

CHUNK = 8 * 1024


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
def central(pki: Pki, tmp_path: Path):
    process = CentralProcess(pki, tmp_path / "central").start()
    yield process
    process.stop()


def assert_delivered_once(central: CentralProcess, db: Path, packets: list[SealedPacket]) -> None:
    expected = {str(packet.packet_id): packet.data for packet in packets}
    stored = central.stored()
    assert set(stored) == set(expected)  # primary key: each id at most once
    for packet_id, row in stored.items():
        assert Path(row["path"]).read_bytes() == expected[packet_id]
        assert row["sha256"] == hashlib.sha256(expected[packet_id]).hexdigest()
    assert forwarded_ids(db) == set(expected)
    receipts = edge_rows(db, "SELECT packet_id, receipt FROM upstream_receipts")
    assert {row["packet_id"] for row in receipts} == set(expected)
    for row in receipts:  # the receipt kept at the edge is the one central holds
        assert bytes(row["receipt"]) == bytes(stored[row["packet_id"]]["receipt_body"])


def resent_at_central(central: CentralProcess) -> dict[str, int]:
    return {pid: row["bytes_received"] - row["size"] for pid, row in central.stored().items()}


def resent_at_edge(db: Path) -> dict[str, int]:
    rows = edge_rows(
        db,
        "SELECT u.packet_id, u.bytes_sent - p.size AS extra FROM upstream_uploads u"
        " JOIN ingested_packets p ON p.packet_id = u.packet_id",
    )
    return {row["packet_id"]: row["extra"] for row in rows}


def test_slow_lossy_link_delivers_everything_once(pki: Pki, central: CentralProcess, tmp_path):
    db, packets = edge_backlog(pki, tmp_path, 5, 12_000)
    shape = LinkShape(rate_bps=1_000_000, rtt_seconds=0.3, loss=0.02)
    with shaped_link("127.0.0.1", central.port, shape) as link:
        config = upstream_config(pki, link.proxy.port, chunk_bytes=CHUNK)
        forwarder = asyncio.run(run_forwarder(config, db))
        assert link.proxy.lost_segments > 0  # the loss really happened
    assert_delivered_once(central, db, packets)
    assert forwarder.last_status is not None
    assert forwarder.last_status.backlog_count == 0
    assert forwarder.last_status.last_success_at is not None
    assert all(extra == 0 for extra in resent_at_edge(db).values())


def test_link_cut_mid_batch_resumes_without_resending(pki: Pki, central: CentralProcess, tmp_path):
    db, packets = edge_backlog(pki, tmp_path, 6, 20_000)
    shape = LinkShape(rate_bps=1_000_000, rtt_seconds=0.05)
    with shaped_link("127.0.0.1", central.port, shape) as link:
        cut_done = threading.Event()

        def cut_when_partial() -> bool:
            if not central.partial_upload():
                return False
            link.cut()
            threading.Timer(1.0, lambda: (link.restore(), cut_done.set())).start()
            return True

        config = upstream_config(pki, link.proxy.port, chunk_bytes=CHUNK)
        asyncio.run(run_forwarder(config, db, during=cut_when_partial))
        assert cut_done.is_set()
        assert link.proxy.connections_total > 1  # the forwarder reconnected
    assert_delivered_once(central, db, packets)
    assert max(resent_at_central(central).values()) <= CHUNK
    assert max(resent_at_edge(db).values()) <= CHUNK


def test_central_killed_mid_batch(pki: Pki, central: CentralProcess, tmp_path):
    db, packets = edge_backlog(pki, tmp_path, 6, 20_000)
    shape = LinkShape(rate_bps=1_000_000, rtt_seconds=0.05)
    restarted = threading.Event()

    def kill_when_partial() -> bool:
        if not central.partial_upload():
            return False
        central.kill()

        def restart() -> None:
            central.start()
            restarted.set()

        threading.Thread(target=restart, daemon=True).start()
        return True

    with shaped_link("127.0.0.1", central.port, shape) as link:
        config = upstream_config(pki, link.proxy.port, chunk_bytes=CHUNK)
        asyncio.run(run_forwarder(config, db, during=kill_when_partial))
    assert restarted.is_set()
    assert_delivered_once(central, db, packets)
    assert max(resent_at_edge(db).values()) <= CHUNK


def test_edge_forwarder_killed_mid_batch(pki: Pki, central: CentralProcess, tmp_path):
    db, packets = edge_backlog(pki, tmp_path, 6, 20_000)
    shape = LinkShape(rate_bps=1_000_000, rtt_seconds=0.05)
    with shaped_link("127.0.0.1", central.port, shape) as link:
        config = upstream_config(pki, link.proxy.port, chunk_bytes=CHUNK)
        config_path = tmp_path / "upstream.toml"
        lines = ["[upstream]"]
        for key, value in config.model_dump(mode="json", exclude_defaults=True).items():
            lines.append(f"{key} = {value!r}".replace("'", '"'))
        config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "edge_controller.upstream",
            "--config",
            str(config_path),
            "--database",
            str(db),
            "--log-level",
            "WARNING",
        ]
        first = subprocess.Popen(command, cwd=REPO)
        try:
            wait_for(central.partial_upload, 60, "a packet part-way at central")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert len(central.stored()) < len(packets)  # killed in the middle of the batch
        second = subprocess.Popen(command, cwd=REPO)
        try:
            wait_for(lambda: len(central.stored()) == len(packets), 60, "every packet")
            wait_for(lambda: len(forwarded_ids(db)) == len(packets), 30, "every receipt")
        finally:
            second.terminate()
            second.wait(10)
    assert_delivered_once(central, db, packets)
    assert max(resent_at_central(central).values()) <= CHUNK
