"""Refused-packet alerts clear: when the booth next delivers a good packet, or after a
quiet period without another refusal. Real TLS broker, real edge service, real packets."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker_fixtures import Inbox, Office, office, wait_for
from ingest_fixtures import (
    BoothKit,
    RunningEdge,
    booths,
    client_with_acks,
    edge_config,
    make_booth,
    register,
    running_edge,
    share_office_secret,
)

from edge_controller.booths.monitor import register_booth_key

__all__ = ["booths", "office"]


@contextlib.contextmanager
def start_edge(
    office: Office, root: Path, booths: dict[str, BoothKit], **health: Any
) -> Iterator[RunningEdge]:
    settings = {"heartbeat_timeout_seconds": 600.0, "check_interval_seconds": 0.2, **health}
    config = edge_config(office, root, health=settings)
    register(config, *booths.values())
    yield from running_edge(config)


def alert_rows(edge: RunningEdge, kind: str) -> list[sqlite3.Row]:
    conn = edge.db()
    try:
        return conn.execute(
            "SELECT * FROM alerts WHERE kind = ? ORDER BY alert_id", (kind,)
        ).fetchall()
    finally:
        conn.close()


def open_booths(edge: RunningEdge, kind: str) -> set[str]:
    return {row["booth_id"] for row in alert_rows(edge, kind) if row["cleared_at"] is None}


def send(office: Office, booth: BoothKit, data: bytes, acks: Inbox) -> None:
    """Publish ``data`` (a sealed packet's bytes) as ``booth`` does, in its envelope."""
    client = client_with_acks(office, booth.booth_id, acks)
    client.publish_and_wait(f"booths/{booth.booth_id}/enrollments", booth.wire(data))


def send_damaged(office: Office, booth: BoothKit, acks: Inbox) -> None:
    """A packet of ``booth``'s with one bit flipped inside its ciphertext: the signature
    fails, and the edge refuses it."""
    data = bytearray(booth.seal(photo_bytes=4000).data)
    data[data.index(b'"blobs":{"biometrics":"') + 2000] ^= 0x01
    send(office, booth, bytes(data), acks)


def test_a_good_packet_clears_that_booths_refusal_alert_only(
    office: Office, tmp_path: Path, booths: dict[str, BoothKit]
) -> None:
    with start_edge(office, tmp_path, booths) as edge:
        acks = Inbox()
        send_damaged(office, booths["booth-01"], acks)
        send_damaged(office, booths["booth-02"], acks)
        assert wait_for(lambda: open_booths(edge, "packet_rejected") == {"booth-01", "booth-02"})

        good = booths["booth-01"].seal()
        send(office, booths["booth-01"], good.data, acks)
        assert wait_for(lambda: open_booths(edge, "packet_rejected") == {"booth-02"})

        [cleared] = [r for r in alert_rows(edge, "packet_rejected") if r["booth_id"] == "booth-01"]
        assert cleared["cleared_at"] is not None  # kept as history, closed
        dashboard = edge.service.snapshot_from_thread().alerts
        assert [(a.booth_id, a.kind) for a in dashboard] == [("booth-02", "packet_rejected")]


def test_a_newly_registered_booths_first_stored_packet_clears_unknown_booth(
    office: Office, tmp_path: Path, booths: dict[str, BoothKit]
) -> None:
    newcomer = make_booth(office, tmp_path, "booth-03")
    try:
        with start_edge(office, tmp_path, booths) as edge:
            acks = Inbox()
            share_office_secret(edge.config, newcomer)
            packet = newcomer.seal()
            send(office, newcomer, packet.data, acks)
            assert wait_for(lambda: open_booths(edge, "unknown_booth") == {"booth-03"})

            conn = edge.db()
            try:
                register_booth_key(
                    conn, "booth-03", newcomer.public_key_pem, packet.manifest.sealed_at
                )
            finally:
                conn.close()
            send(office, newcomer, packet.data, acks)  # the booth re-sends it
            assert wait_for(lambda: str(packet.packet_id) in str(acks.payloads()))
            assert wait_for(lambda: open_booths(edge, "unknown_booth") == set())
    finally:
        newcomer.close()


def test_a_refusal_alert_clears_after_the_quiet_period(
    office: Office, tmp_path: Path, booths: dict[str, BoothKit]
) -> None:
    quiet = 2.0
    with start_edge(office, tmp_path, booths, packet_alert_quiet_seconds=quiet) as edge:
        acks = Inbox()
        send_damaged(office, booths["booth-01"], acks)
        assert wait_for(lambda: len(alert_rows(edge, "packet_rejected")) == 1)
        assert wait_for(lambda: open_booths(edge, "packet_rejected") == set(), timeout=30)

        [row] = alert_rows(edge, "packet_rejected")
        raised = dt.datetime.fromisoformat(row["raised_at"])
        cleared = dt.datetime.fromisoformat(row["cleared_at"])
        assert cleared - raised >= dt.timedelta(seconds=quiet)  # open for the whole period
