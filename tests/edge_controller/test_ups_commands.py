"""On a decided shutdown the edge asks the UPS to turn off and come back, as upsmon's
primary does: after the booths are down, before the edge's own halt.

Behind the real upsd: ``nutdrv_qx`` driving an emulated Megatec UPS (it offers
``shutdown.return`` and, like many cheap units, reports no ``battery.runtime``, so the
low-battery decision falls back to the configured charge thresholds), and NUT's
``dummy-ups``, which offers no command that could do it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from power_fixtures import RunningWatcher, fast_power_config, recorded, wait_until

from edge_controller.power import PowerWatcher
from ektp.messages import PowerMessage
from ektp.power import PowerState
from hardware.ups import EmulatedUps, open_ups
from hardware.ups.megatec import MegatecUpsServer, ShutdownRequest
from tests.edge_controller.power_fixtures import (
    power_ups_fixture,
    record_fixture,
    run_watcher_fixture,
)

__all__ = ["power_ups_fixture", "record_fixture", "run_watcher_fixture"]

USER = "rekam-edge"
OFF_DELAY_S = 120


@pytest.fixture(name="megatec")
def megatec_fixture() -> Iterator[MegatecUpsServer]:
    server = MegatecUpsServer(username=USER, password=secrets.token_hex(8), off_delay_s=30)
    try:
        server.start({"ups.status": "OL", "battery.charge": "100"})
        yield server
    finally:
        server.stop()


class Published:
    """Records what the watcher publishes on office/power."""

    def __init__(self) -> None:
        self.messages: list[PowerMessage] = []
        self._lock = threading.Lock()

    async def __call__(self, message: PowerMessage) -> None:
        with self._lock:
            self.messages.append(message)

    def states(self) -> list[PowerState]:
        with self._lock:
            return [m.state for m in self.messages]

    def last(self) -> PowerMessage | None:
        with self._lock:
            return self.messages[-1] if self.messages else None


def test_low_charge_without_runtime_shuts_down_and_the_ups_is_told_to_come_back(
    megatec: MegatecUpsServer,
    record: Path,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
) -> None:
    # the "halt" notes how many shutdown.return upsd had passed on when it ran
    halt = [
        "sh",
        "-c",
        'grep -c "did shutdown.return" "$1" >> "$2" || true',
        "halt",
        str(megatec.upsd_log_path),
        str(record),
    ]
    config = fast_power_config(
        record,
        ups={
            "backend": "real",
            "host": megatec.host,
            "port": megatec.port,
            "ups_name": megatec.ups_name,
            "username": USER,
            "password": megatec._password,
        },
        shutdown_command=halt,
        ups_off_delay_s=OFF_DELAY_S,
        low_battery_charge_pct=30,
        capture_margin_charge_pct=50,
    )
    booths = {"booth-01"}
    published = Published()
    watcher = PowerWatcher(
        config, ups=open_ups(config.ups), publish=published, booths_online=lambda: set(booths)
    )
    running = run_watcher(watcher)
    running.wait_for_state(PowerState.MAINS)

    megatec.write_state({"ups.status": "OB", "battery.charge": "40"})
    running.wait_for_state(PowerState.ON_BATTERY)
    wait_until(
        lambda: (last := published.last()) is not None and not last.new_captures_allowed,
        what="captures stopped below the charge margin",
    )
    assert watcher.machine.last_sample is not None
    assert watcher.machine.last_sample.runtime_s is None  # this UPS reports no runtime

    megatec.write_state({"ups.status": "OB", "battery.charge": "20"})  # no LB from the UPS
    wait_until(lambda: watcher.sequencer.started, what="the shutdown decision")
    wait_until(lambda: PowerState.SHUTDOWN in published.states(), what="SHUTDOWN published")
    assert megatec.line.shutdown_requests() == []  # a booth is still up: the UPS waits
    booths.clear()
    running.wait_for_shutdown()

    report = watcher.sequencer.report
    assert report is not None
    assert report.ups_command == "shutdown.return"
    assert report.ups_error is None
    assert recorded(record) == ["1"]  # upsd had passed the command on before the halt
    # the driver writes it to the UPS's serial line in its own time
    wait_until(lambda: megatec.line.shutdown_requests() != [], what="the UPS told on its line")
    assert megatec.line.shutdown_requests() == [ShutdownRequest(OFF_DELAY_S, None)]


def test_a_ups_without_a_delayed_off_is_reported_and_the_edge_still_halts(
    power_ups: EmulatedUps,
    record: Path,
    run_watcher: Callable[[PowerWatcher], RunningWatcher],
) -> None:
    config = fast_power_config(record)
    watcher = PowerWatcher(config, ups=power_ups, publish=Published(), booths_online=set)
    running = run_watcher(watcher)
    running.wait_for_state(PowerState.MAINS)

    power_ups.set_ups_status("OB LB", charge=10, runtime=30)
    running.wait_for_shutdown()

    report = watcher.sequencer.report
    assert report is not None
    assert report.ups_command is None
    assert report.ups_error is not None
    assert "load.off" in report.ups_error
    assert recorded(record) == ["edge poweroff"]
    assert "did " not in power_ups.server.logs()  # load.off (off at once) was never sent
