"""Mains back after a low-battery SHUTDOWN, and what the unknown-power alert says.

Against a real upsd + dummy-ups (the state file is driven) and the real TLS broker:
the whole edge service with its dashboard for the shutdown that mains calls off, and
the watcher alone for a restart after a shutdown and for the alert's text.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from broker_fixtures import Inbox, Office, office
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ingest_fixtures import RunningEdge, edge_config
from power_fixtures import (
    RunningWatcher,
    edge_conn_fixture,
    fast_power_config,
    power_ups_fixture,
    recorded,
    run_watcher_fixture,
    wait_until,
)
from web_fixtures import SUPERVISOR, log_in

from edge_controller.booths.monitor import register_booth_key
from edge_controller.ingest.db import connect
from edge_controller.power import OutageLog, PowerAlert, PowerWatcher
from edge_controller.web.auth import add_user
from ektp.topics import OFFICE_POWER
from hardware.ups import EmulatedUps, NutUps, Ups
from kiosk.keys import public_key_pem

__all__ = ["edge_conn_fixture", "office", "power_ups_fixture", "run_watcher_fixture"]


class PowerListener:
    """A booth's view of ``office/power``: every message, retained ones included."""

    def __init__(self, office: Office, booth_id: str) -> None:
        self.inbox = Inbox()
        self.client = office.client(booth_id)
        self.client.subscribe(OFFICE_POWER, self.inbox)

    def states(self) -> list[str]:
        return [payload["state"] for payload in self.inbox.payloads(OFFICE_POWER)]

    def wait_for(self, state: str) -> None:
        """Until the latest message says ``state`` (an earlier one does not count)."""
        wait_until(lambda: self.states()[-1:] == [state], what=f"office/power to say {state}")


def retained_power_state(office: Office, booth_id: str) -> str:
    """What a booth that connects now is told (the retained ``office/power``)."""
    listener = PowerListener(office, booth_id)
    wait_until(lambda: bool(listener.states()), what="the retained office/power")
    listener.client.stop(publish_offline=False, timeout=2.0)
    return listener.states()[0]


def alerting_watcher(
    office: Office,
    ups: Ups,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    tmp_path: Path,
) -> tuple[RunningWatcher, list[PowerAlert]]:
    """The edge's watcher on ``ups`` with no booth online, and the alerts it raises."""
    alerts: list[PowerAlert] = []
    watcher = PowerWatcher(
        fast_power_config(tmp_path / "shutdowns.txt"),
        ups=ups,
        mqtt=office.client("edge"),
        booths_online=lambda: (),
        on_alert=alerts.append,
    )
    return run_watcher(watcher), alerts


def booth_online(edge: RunningEdge, booth_id: str) -> bool:
    views = edge.service.monitor.snapshot(time.time())
    return any(view.booth_id == booth_id and view.state == "online" for view in views)


def dashboard_json(client: httpx.Client, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def test_mains_back_before_the_edge_halted_calls_the_shutdown_off(
    office: Office, tmp_path: Path
) -> None:
    record = tmp_path / "shutdowns.txt"
    power = fast_power_config(record, booth_offline_wait_s=300.0)
    config = edge_config(
        office,
        tmp_path,
        power=power.model_dump(mode="json"),
        web={
            "port": 0,
            "session_secret_path": str(tmp_path / "web-session.key"),
            "dashboard_refresh_seconds": 0,
        },
        health={"heartbeat_timeout_seconds": 600.0, "check_interval_seconds": 0.2},
    )
    conn = connect(config.database.path)
    add_user(conn, *SUPERVISOR, "supervisor")
    key = public_key_pem(Ed25519PrivateKey.generate())  # a registered booth: only those
    register_booth_key(conn, "booth-01", key, dt.datetime.now(dt.UTC))  # count as online
    conn.close()
    office.booth_client("booth-01", software_version="test")  # online, never goes down
    listener = PowerListener(office, "booth-02")
    edge = RunningEdge(config)
    try:
        watcher = edge.service.power
        assert watcher is not None
        ups = watcher.ups
        assert isinstance(ups, EmulatedUps)
        listener.wait_for("MAINS")
        wait_until(lambda: booth_online(edge, "booth-01"), what="the edge to see booth-01")

        ups.set_ups_status("OB LB", runtime=90, charge=8)  # PLN cut, the battery is weak
        listener.wait_for("SHUTDOWN")
        assert watcher.sequencer.started  # waiting for booth-01 to go down

        ups.set_ups_status("OL", runtime=400, charge=15)  # PLN is back first
        wait_until(lambda: watcher.state == "MAINS", what="the edge to say MAINS again")
        listener.wait_for("MAINS")
        assert retained_power_state(office, "booth-03") == "MAINS"

        dashboard = edge.service.dashboard
        assert dashboard is not None
        with httpx.Client(base_url=dashboard.url) as web:
            assert log_in(web, *SUPERVISOR).status_code == 303
            assert dashboard_json(web, "/api/v1/power")["state"] == "MAINS"
            assert 'class="power-MAINS"' in web.get("/power").text

        reader = edge.db()
        try:
            log = OutageLog(reader)
            assert log.open_events() == []  # the outage is over
            sources = [event.source for event in log.events()]
        finally:
            reader.close()
        assert sources.count("shutdown") == 1
        assert sources[-1] == "restored"
        assert recorded(record) == []  # the edge's poweroff never ran
        assert watcher.sequencer.report is None

        ups.set_ups_status("OB LB", runtime=60, charge=5)  # the next cut: down again
        wait_until(lambda: watcher.machine.shutdown_decisions == 2, what="a second decision")
        wait_until(lambda: listener.states()[-1] == "SHUTDOWN", what="SHUTDOWN once more")
        assert watcher.sequencer.runs == 2
    finally:
        edge.stop()


def test_an_edge_restarted_after_a_shutdown_on_mains_says_mains(
    office: Office,
    power_ups: EmulatedUps,
    edge_conn: sqlite3.Connection,
    tmp_path: Path,
) -> None:
    record = tmp_path / "shutdowns.txt"
    listener = PowerListener(office, "booth-01")
    edge_client = office.client("edge")

    def watcher() -> RunningWatcher:
        ups = NutUps(power_ups.host, power_ups.port, power_ups.ups_name)  # upsd outlives it
        return RunningWatcher(
            PowerWatcher(
                fast_power_config(record),
                ups=ups,
                mqtt=edge_client,
                booths_online=lambda: (),
                outages=OutageLog(edge_conn),
            )
        )

    before = watcher()
    try:
        listener.wait_for("MAINS")
        power_ups.set_ups_status("OB LB", runtime=90, charge=8)
        before.wait_for_shutdown()
        assert recorded(record) == ["edge poweroff"]
    finally:
        before.close()  # the edge halted
    listener.wait_for("SHUTDOWN")
    assert OutageLog(edge_conn).open_events() != []

    power_ups.set_ups_status("OL", runtime=600, charge=20)  # PLN back; the edge boots
    power_ups.wait_for_status("OL")
    after = watcher()
    try:
        after.wait_for_state("MAINS")
        wait_until(lambda: listener.states()[-1] == "MAINS", what="booths told MAINS")
        events = OutageLog(edge_conn).events()
        assert all(event.ended_at is not None for event in events)
        assert events[-1].source == "restored"
        battery_low = [event for event in events if event.source == "battery_low"]
        assert "ups.status=OB LB" in battery_low[0].detail  # NUT's own order
        assert recorded(record) == ["edge poweroff"]
    finally:
        after.close()


def test_the_unknown_power_alert_names_the_last_ups_status(
    office: Office,
    power_ups: EmulatedUps,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    tmp_path: Path,
) -> None:
    running, alerts = alerting_watcher(office, power_ups, run_watcher, tmp_path)
    power_ups.set_ups_status("OB DISCHRG", runtime=1500, charge=80)
    running.wait_for_state("ON_BATTERY")
    power_ups.stop_server()  # upsd gone while the UPS was on battery
    wait_until(lambda: bool(alerts), what="the unknown-power alert")
    [alert] = alerts
    assert alert.action == "raise"
    assert "last ups.status: OB DISCHRG" in alert.detail
    assert "DeviceUnavailable" in alert.detail
    assert running.watcher.machine.shutdown_decisions == 0


def test_the_unknown_power_alert_carries_nuts_error_code(
    office: Office,
    power_ups: EmulatedUps,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    tmp_path: Path,
) -> None:
    misnamed = NutUps(power_ups.host, power_ups.port, "ups-that-is-not-there")
    running, alerts = alerting_watcher(office, misnamed, run_watcher, tmp_path)
    wait_until(lambda: bool(alerts), what="the unknown-power alert")
    assert "ERR UNKNOWN-UPS" in alerts[0].detail
    assert "last ups.status: none" in alerts[0].detail
    assert running.watcher.state == "UNKNOWN"
