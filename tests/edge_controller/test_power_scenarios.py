"""Issue 6 acceptance against a real upsd + dummy-ups (the state file is driven), the
generator contact on MockFactory, a real TLS broker and booths using the kiosk's guard."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from broker_fixtures import Office, office
from power_fixtures import (
    WAIT,
    RunningWatcher,
    SimulatedBooth,
    edge_conn_fixture,
    fast_power_config,
    generator_contact_fixture,
    power_ups_fixture,
    record_fixture,
    recorded,
    run_watcher_fixture,
    wait_until,
)

from edge_controller.power import (
    OutageLog,
    PowerAlert,
    PowerWatcher,
    build_power_watcher,
)
from hardware.gpio import EmulatedGeneratorContact
from hardware.ups import EmulatedUps

__all__ = [
    "edge_conn_fixture",
    "generator_contact_fixture",
    "office",
    "power_ups_fixture",
    "record_fixture",
    "run_watcher_fixture",
]


def booth_on_mains(
    office: Office,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    record: Path,
    config: dict[str, Any] | None = None,
    **parts: Any,
) -> tuple[SimulatedBooth, PowerWatcher, RunningWatcher]:
    """Booth ``booth-01`` and the edge's watcher (:func:`fast_power_config` with ``config``
    changed, devices in ``parts``), both recording shutdowns in ``record``; returned once
    the booth hears MAINS."""
    booth = SimulatedBooth(office, "booth-01", record)
    settings = fast_power_config(record, **(config or {}))
    watcher = PowerWatcher(settings, mqtt=office.client("edge"), **parts)
    running = run_watcher(watcher)
    booth.wait_for_state("MAINS")
    return booth, watcher, running


def test_mains_battery_generator_mains(
    office: Office,
    power_ups: EmulatedUps,
    generator_contact: EmulatedGeneratorContact,
    edge_conn: sqlite3.Connection,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    record: Path,
) -> None:
    booth, watcher, running = booth_on_mains(
        office,
        run_watcher,
        record,
        ups=power_ups,
        generator=generator_contact,
        outages=OutageLog(edge_conn),
    )

    power_ups.set_ups_status("OB", runtime=1500, charge=90)  # PLN cut: the UPS carries on
    on_battery = booth.wait_for_state("ON_BATTERY")
    assert on_battery.runtime_left_s == 1500
    assert on_battery.new_captures_allowed  # 25 min left: finish and go on
    assert booth.policy.new_capture_allowed()

    generator_contact.set_generator_running(True)  # the genset starts, the switch moves
    power_ups.set_ups_status("OL", runtime=1500)
    booth.wait_for_state("GENERATOR")

    generator_contact.set_generator_running(False)  # PLN is back
    booth.wait_for_state("MAINS")
    running.wait_for_state("MAINS")

    assert booth.states() == ["MAINS", "ON_BATTERY", "GENERATOR", "MAINS"]
    assert watcher.machine.shutdown_decisions == 0
    assert recorded(record) == []
    events = OutageLog(edge_conn).events()
    assert [e.source for e in events] == ["mains_lost", "generator_on", "restored"]
    assert all(e.ended_at is not None for e in events)
    mains_lost, generator_on, _ = events
    assert mains_lost.started_at < generator_on.started_at
    assert generator_on.ended_at == mains_lost.ended_at


def test_low_battery_shuts_booths_down_first_and_the_edge_last(
    office: Office,
    edge_conn: sqlite3.Connection,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    record: Path,
) -> None:
    booths = [SimulatedBooth(office, f"booth-0{n}", record) for n in (1, 2)]
    # the one-call path the service uses: devices opened from the config
    watcher = build_power_watcher(
        fast_power_config(record), mqtt=office.client("edge"), conn=edge_conn
    )
    ups = watcher.ups
    assert isinstance(ups, EmulatedUps)
    running = run_watcher(watcher)
    for booth in booths:
        booth.wait_for_state("MAINS")
    wait_until(lambda: watcher.presence is not None and len(watcher.presence.online()) == 2)

    ups.set_ups_status("OB", runtime=400, charge=40)
    message = booths[0].wait_for_state("ON_BATTERY")
    assert not message.new_captures_allowed  # under the 600 s margin: no new capture
    assert not booths[0].policy.new_capture_allowed()

    ups.set_ups_status("OB LB", runtime=90, charge=9)
    running.wait_for_shutdown()

    lines = recorded(record)
    assert sorted(lines[:2]) == ["booth-01 poweroff", "booth-02 poweroff"]
    assert lines[2:] == ["edge poweroff"]
    report = watcher.sequencer.report
    assert report is not None
    assert report.booths_online_at_start == ("booth-01", "booth-02")
    assert report.booths_still_online == ()
    assert report.command_returncode == 0
    for booth in booths:
        # the guard ends after its booth's MQTT connection has closed, which can be a
        # moment after the broker passed the booth's ``offline`` on to the edge
        assert booth.guard.wait(WAIT)
        assert "SHUTDOWN" in booth.states() or "LOW_BATTERY" in booth.states()

    assert watcher.machine.shutdown_decisions == 1
    assert watcher.state == "SHUTDOWN"
    sources = [e.source for e in OutageLog(edge_conn).events()]
    assert sources.count("shutdown") == 1
    assert {"mains_lost", "battery_low"} <= set(sources)

    # mains is back before the edge halted: the office is on mains again, nothing re-runs
    ups.set_ups_status("OL", runtime=300, charge=12)
    running.wait_for_state("MAINS")
    assert watcher.machine.shutdown_decisions == 1
    assert recorded(record) == lines


def test_flapping_power_on_a_real_upsd_does_not_thrash(
    office: Office,
    power_ups: EmulatedUps,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    record: Path,
) -> None:
    hold = {"hold_seconds": 4.0, "hold_polls": 3}
    booth, watcher, _ = booth_on_mains(office, run_watcher, record, hold, ups=power_ups)

    for _ in range(3):  # mains drops and returns, each state seen by upsd
        power_ups.set_ups_status("OB", runtime=1500)
        power_ups.wait_for_status("OB")
        time.sleep(0.4)
        power_ups.set_ups_status("OL")
        power_ups.wait_for_status("OL")
        time.sleep(0.4)
    assert booth.states() == ["MAINS"]
    assert watcher.machine.changes == 1  # only the first adoption of MAINS at start

    power_ups.set_ups_status("OB", runtime=1500)  # now the cut lasts
    booth.wait_for_state("ON_BATTERY")
    assert booth.states() == ["MAINS", "ON_BATTERY"]
    assert watcher.machine.shutdown_decisions == 0
    assert recorded(record) == []


def test_upsd_unreachable_is_unknown_with_an_alert_and_no_shutdown(
    office: Office,
    power_ups: EmulatedUps,
    edge_conn: sqlite3.Connection,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
    record: Path,
) -> None:
    alerts: list[PowerAlert] = []
    booth, watcher, running = booth_on_mains(
        office,
        run_watcher,
        record,
        ups=power_ups,
        outages=OutageLog(edge_conn),
        on_alert=alerts.append,
    )

    power_ups.stop_server()
    running.wait_for_state("UNKNOWN")
    wait_until(lambda: any(a.action == "raise" for a in alerts), what="the alert")
    assert alerts[0].kind == "ups_unreachable"
    time.sleep(1.0)  # several more failed polls: still no decision
    assert watcher.machine.shutdown_decisions == 0
    assert booth.states() == ["MAINS", "UNKNOWN"]  # booths learn it is unknown, not "mains"
    assert booth.policy.new_capture_allowed()

    power_ups.start_server()
    running.wait_for_state("MAINS")
    wait_until(lambda: alerts[-1].action == "clear", what="the alert to clear")
    assert recorded(record) == []
    events = OutageLog(edge_conn).events()
    assert [e.source for e in events] == ["ups_unreachable"]
    assert events[0].ended_at is not None
