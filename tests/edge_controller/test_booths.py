"""Booth liveness and health as the registry sees them, and the alerts they raise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.booths.monitor import (
    AlertChange,
    BoothMonitor,
    BoothView,
    apply_alert_changes,
    open_alerts,
    register_booth_key,
)
from edge_controller.config.health import HealthConfig
from edge_controller.ingest.db import connect
from ektp.messages import DeviceHealth, HealthMessage, encode_message
from kiosk.keys import public_key_pem
from tests.edge_controller.broker_fixtures import Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    booth,
    edge_config,
    register,
    running_edge,
)

T0 = 1_773_100_000.0


@pytest.fixture
def edge(office: Office, tmp_path: Path, booth: BoothKit) -> Iterator[RunningEdge]:
    config = edge_config(office, tmp_path)
    register(config, booth)
    yield from running_edge(config)


def state(edge: RunningEdge, booth_id: str) -> str:
    views = {v.booth_id: v for v in edge.service.snapshot_from_thread().booths}
    return views[booth_id].state if booth_id in views else "absent"


def test_booth_goes_online_then_offline_as_seen_by_the_registry(
    edge: RunningEdge, booth: BoothKit
) -> None:
    assert state(edge, "booth-01") == "unknown"  # registered, never heard from
    uplink = booth.uplink(health_interval_seconds=0.5)

    uplink.start()
    assert wait_for(lambda: state(edge, "booth-01") == "online")

    def view() -> BoothView:
        return next(
            v for v in edge.service.snapshot_from_thread().booths if v.booth_id == "booth-01"
        )

    assert view().software_version == "0.1.0"
    assert wait_for(lambda: view().outbox_depth == 0)  # from its retained health report

    uplink.stop()
    assert wait_for(lambda: state(edge, "booth-01") == "offline")


def test_booth_that_stops_reporting_goes_silent_and_is_alerted(
    office: Office, edge: RunningEdge
) -> None:
    conn = edge.db()  # registered too: an unregistered booth is never "online"
    try:
        key = public_key_pem(Ed25519PrivateKey.generate())
        register_booth_key(conn, "booth-02", key, dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    client = office.booth_client("booth-02", software_version="0.1.0")

    assert wait_for(lambda: state(edge, "booth-02") == "online")
    # online by its status, but no heartbeat comes: silent after the timeout (3 s here)
    assert wait_for(lambda: state(edge, "booth-02") == "silent", timeout=30)
    assert wait_for(
        lambda: any(
            a.kind == "silent" and a.booth_id == "booth-02"
            for a in edge.service.snapshot_from_thread().alerts
        )
    )

    health = HealthMessage(
        booth_id="booth-02",
        at=dt.datetime.now(dt.UTC),
        devices={},
        outbox_depth=0,
        disk_free_bytes=10**9,
    )
    client.publish_and_wait("booths/booth-02/health", encode_message(health), retain=True)
    assert wait_for(lambda: state(edge, "booth-02") == "online")
    assert wait_for(
        lambda: not any(a.kind == "silent" for a in edge.service.snapshot_from_thread().alerts)
    )


def report(depth: int, at: float, **devices: DeviceHealth) -> HealthMessage:
    return HealthMessage(
        booth_id="booth-01",
        at=dt.datetime.fromtimestamp(at, dt.UTC),
        devices=devices,
        outbox_depth=depth,
        disk_free_bytes=10**9,
    )


def kinds(changes: list[AlertChange], action: str = "raise") -> list[tuple[str, str]]:
    return [(c.kind, c.subject) for c in changes if c.action == action]


def test_failing_device_and_climbing_error_count_raise_alerts_that_clear() -> None:
    monitor = BoothMonitor(HealthConfig(device_error_increase=5))
    ok = DeviceHealth(state="ok", error_count=1)

    assert kinds(monitor.on_health(report(0, T0, fingerprint=ok), T0)) == []
    broken = DeviceHealth(state="unavailable", error_count=2, detail="no answer on UART")
    assert kinds(monitor.on_health(report(0, T0 + 30, fingerprint=broken), T0 + 30)) == [
        ("device_failed", "fingerprint")
    ]
    noisy = DeviceHealth(state="ok", error_count=9)
    changes = monitor.on_health(report(0, T0 + 60, fingerprint=noisy), T0 + 60)
    assert kinds(changes) == [("device_errors", "fingerprint")]
    assert ("device_failed", "fingerprint") in kinds(changes, "clear")


def test_outbox_growing_over_successive_reports_raises_an_alert() -> None:
    monitor = BoothMonitor(HealthConfig(outbox_growth_reports=3))
    raised = []
    for step, depth in enumerate([1, 2, 3]):
        raised += kinds(monitor.on_health(report(depth, T0 + step), T0 + step))
    assert raised == []  # two growths are not yet a trend
    assert kinds(monitor.on_health(report(4, T0 + 3), T0 + 3)) == [("outbox_growing", "")]
    assert kinds(monitor.on_health(report(0, T0 + 4), T0 + 4), "clear") == [("outbox_growing", "")]


def test_an_alert_is_stored_once_while_open(tmp_path: Path) -> None:
    monitor = BoothMonitor(HealthConfig(device_error_increase=1))
    conn = connect(tmp_path / "edge.sqlite3")
    now = dt.datetime.now(dt.UTC)
    try:
        broken = DeviceHealth(state="degraded")
        for step in range(3):
            changes = monitor.on_health(report(0, T0 + step, camera=broken), T0 + step)
            apply_alert_changes(conn, changes, now)
        [alert] = open_alerts(conn)
        assert (alert.booth_id, alert.kind, alert.subject) == (
            "booth-01",
            "device_failed",
            "camera",
        )
        apply_alert_changes(
            conn, monitor.on_health(report(0, T0 + 9, camera=DeviceHealth(state="ok")), T0 + 9), now
        )
        assert open_alerts(conn) == []
    finally:
        conn.close()
