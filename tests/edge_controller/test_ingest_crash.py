"""Ack only after commit: SIGKILL the real edge process between receive and commit.

The edge runs as ``python -m edge_controller.cli run --config FILE``. Its test hook
pauses the ingest after a packet was verified and before it is committed; the test
kills the process there. The booth never got an ack, so its uplink re-sends; the
restarted edge stores the packet once and acks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.ingest.checks import count_packets
from edge_controller.ingest.db import connect
from kiosk.outbox.store import PacketState
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import (
    EdgeProcess,
    edge_config,
    make_booth,
    register,
    write_edge_toml,
)

SERVING = "edge controller serving"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path)


def stored(database: Path) -> int:
    conn = connect(database)
    try:
        return count_packets(conn)
    finally:
        conn.close()


def test_edge_killed_between_receive_and_commit_stores_the_resent_packet_once(
    office: Office, tmp_path: Path
) -> None:
    booth = make_booth(office, tmp_path, "booth-01")
    marker = tmp_path / "paused"
    paused = edge_config(
        office,
        tmp_path,
        ingest={"test_hook_before_commit": "pause", "test_hook_marker_path": str(marker)},
    )
    register(paused, booth)
    normal = paused.model_copy(
        update={
            "ingest": paused.ingest.model_copy(
                update={"test_hook_before_commit": "off", "test_hook_marker_path": None}
            )
        }
    )
    database = paused.database.path
    first = EdgeProcess(write_edge_toml(paused, tmp_path / "paused.toml"), tmp_path / "edge1.log")
    second: EdgeProcess | None = None
    uplink = booth.uplink(ack_timeout_seconds=3.0)
    try:
        assert first.wait_for_log(SERVING), first.log_text()
        packet = booth.commit()
        uplink.start()

        assert wait_for(marker.exists, timeout=60), first.log_text()
        first.kill()

        assert stored(database) == 0
        assert booth.outbox.depth() == 1  # not acked: the booth still holds it
        second = EdgeProcess(
            write_edge_toml(normal, tmp_path / "normal.toml"), tmp_path / "edge2.log"
        )
        assert second.wait_for_log(SERVING), second.log_text()

        assert uplink.drain(timeout=90), second.log_text()
        record = booth.outbox.get(str(packet.packet_id))
        assert record is not None
        assert record.state is PacketState.ACKED
        assert record.attempts >= 2  # sent to the killed edge, then again
        assert stored(database) == 1
    finally:
        uplink.stop()
        first.kill()
        if second is not None:
            second.stop()
        booth.close()
