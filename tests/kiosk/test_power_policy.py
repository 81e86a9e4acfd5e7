"""The booth's power policy and its shutdown guard (no devices; the command is a recorder)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from booth_fixtures import gated_capture_flow

from ektp.messages import EventMessage, PowerMessage
from kiosk.flow.capture import CaptureStep
from kiosk.flow.errors import FlowError
from kiosk.power.banner import MSG_BATTERY_SHORT, MSG_ON_BATTERY, MSG_SHUTTING_DOWN
from kiosk.power.guard import BoothPowerGuard
from kiosk.power.policy import POWER_REFUSAL_EVENT, PowerPolicy
from kiosk.ui.status import BoothStatus
from kiosk.ui.status import PowerState as Banner
from tests.edge_controller.power_fixtures import recorded, recorder_command

T0 = dt.datetime(2024, 3, 12, 8, 0, tzinfo=dt.UTC)


def power(state: str, minute: int = 0, **fields: Any) -> PowerMessage:
    return PowerMessage(state=state, at=T0 + dt.timedelta(minutes=minute), **fields)  # type: ignore[arg-type]


class Audit:
    def __init__(self) -> None:
        self.events: list[str] = []

    def append(self, event: str, **fields: Any) -> None:
        self.events.append(event)


def test_policy_follows_the_office_power() -> None:
    events: list[EventMessage] = []
    status = BoothStatus()
    policy = PowerPolicy(booth_id="booth-01", on_refusal=events.append, status=status)
    assert policy.new_capture_allowed()  # nothing heard yet: keep working

    policy.update(power("ON_BATTERY", 1, runtime_left_s=1500))
    assert policy.new_capture_allowed()
    assert policy.notice() == MSG_ON_BATTERY
    assert (status.power, status.battery_minutes_left) == (Banner.ON_BATTERY, 25)

    policy.update(power("ON_BATTERY", 2, runtime_left_s=400, new_captures_allowed=False))
    assert not policy.new_capture_allowed()
    assert policy.notice() == MSG_BATTERY_SHORT
    assert [e.name for e in events] == [POWER_REFUSAL_EVENT]
    assert events[0].kind == "audit"
    assert events[0].data == {"power_state": "ON_BATTERY"}

    policy.update(power("MAINS", 1))  # older than what we have: ignored
    assert not policy.captures_allowed()
    policy.update(power("LOW_BATTERY", 3, runtime_left_s=90))
    assert policy.must_shut_down
    assert policy.notice() == MSG_SHUTTING_DOWN
    assert status.power is Banner.LOW_BATTERY
    policy.update(power("GENERATOR", 4))
    assert policy.new_capture_allowed()
    assert policy.notice() is None
    assert policy.refusals == 1


def test_booth_margin_applies_on_top_of_the_edge_flag() -> None:
    policy = PowerPolicy(capture_margin_s=900)
    policy.update(power("ON_BATTERY", runtime_left_s=800))
    assert not policy.new_capture_allowed()
    policy.update(power("ON_BATTERY", 1, runtime_left_s=1000))
    assert policy.new_capture_allowed()


def test_the_flow_refuses_a_new_capture_but_says_why() -> None:
    policy = PowerPolicy(booth_id="booth-01")
    flow = gated_capture_flow(policy.new_capture_allowed, Audit())
    flow.step = CaptureStep.READY
    policy.update(power("LOW_BATTERY", runtime_left_s=60))
    with pytest.raises(FlowError) as refused:
        flow.call_next()
    assert refused.value.code == "power"
    assert flow.enrollment is None


def test_guard_parks_closes_and_powers_off_once_in_order(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    steps: list[str] = []
    guard = BoothPowerGuard(
        PowerPolicy(),
        shutdown_command=recorder_command(record, "poweroff"),
        park=lambda: steps.append("park") is None,
        close_outbox=lambda: steps.append("outbox closed"),
        after_command=lambda: steps.append(f"after {recorded(record)}"),
    )
    guard.on_power_message(power("ON_BATTERY", runtime_left_s=1500))
    assert not guard.started.is_set()
    guard.on_power_message(power("LOW_BATTERY", 1, runtime_left_s=90))
    guard.on_power_message(power("SHUTDOWN", 2))
    assert guard.wait(30)
    assert steps == ["park", "outbox closed", "after ['poweroff']"]
    assert recorded(record) == ["poweroff"]
    assert guard.outcome is not None
    assert (guard.outcome.parked, guard.outcome.command_returncode) == (True, 0)


def test_a_failing_park_still_closes_the_outbox_and_powers_off(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"

    def broken_park() -> bool:
        raise OSError("disk full")

    closed: list[bool] = []
    guard = BoothPowerGuard(
        PowerPolicy(),
        shutdown_command=recorder_command(record, "poweroff"),
        park=broken_park,
        close_outbox=lambda: closed.append(True),
    )
    guard.on_power_message(power("SHUTDOWN"))
    assert guard.wait(30)
    assert closed == [True]
    assert recorded(record) == ["poweroff"]
    assert guard.outcome is not None
    assert guard.outcome.error == "park: OSError"
