"""Ack only after commit: SIGKILL the real edge process between receive and commit.

The first edge runs as ``python -m tests.edge_controller.paused_edge``: the real
service with a ``before_commit`` hook injected into its ingest pipeline, which pauses
after a packet was verified and before it is committed; the test kills the process
there. The booth never got an ack, so its uplink re-sends; the restarted edge
(``python -m edge_controller.cli run --config FILE``) stores the packet once and acks it.
"""

from __future__ import annotations

from pathlib import Path

from edge_controller.ingest.checks import count_packets
from edge_controller.ingest.db import connect
from kiosk.outbox.store import PacketState
from tests.edge_controller.broker_fixtures import Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    EdgeProcess,
    edge_config,
    make_booth,
    register,
    write_edge_toml,
)

SERVING = "edge controller serving"


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
    config = edge_config(office, tmp_path)
    register(config, booth)
    config_path = write_edge_toml(config, tmp_path / "edge.toml")
    database = config.database.path
    first = EdgeProcess(
        config_path,
        tmp_path / "edge1.log",
        command=("tests.edge_controller.paused_edge",),
        extra_args=("--marker", str(marker)),
    )
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
        second = EdgeProcess(config_path, tmp_path / "edge2.log")
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
