"""A booth that starts after the power came back must not shut down again because the
broker still holds the edge's last ``SHUTDOWN`` (retained) from the outage.

Real mosquitto with the office's TLS identities; the booth side is the kiosk's own
:class:`~kiosk.power.guard.BoothPowerGuard` built by :func:`~kiosk.power.guard.guard_booth`
from the booth's ``[power]`` settings; the shutdown command is a recorder.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from booth_fixtures import gated_capture_flow

from demo.kiosk_fakes import AuditList
from ektp.messages import PowerMessage, encode_message
from ektp.topics import OFFICE_POWER
from kiosk.config.booth import BoothPowerSettings
from kiosk.power.guard import guard_booth, run_inline
from kiosk.power.policy import PowerPolicy
from kiosk.ui.status import BoothStatus
from tests.edge_controller.broker_fixtures import Office, running_office, wait_for
from tests.edge_controller.power_fixtures import recorded, recorder_command

WAIT_S = 30.0


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


def power(state: str, *, minutes_ago: float = 0.0, **fields: Any) -> bytes:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return encode_message(PowerMessage(state=state, at=at, **fields))  # type: ignore[arg-type]


class StartingBooth:
    """What ``kiosk.booth`` wires for power on a booth with an edge, minus the devices."""

    def __init__(self, office: Office, record: Path, settings: BoothPowerSettings) -> None:
        self.status = BoothStatus()
        self.policy = PowerPolicy(booth_id="booth-01", status=self.status)
        self.capture = gated_capture_flow(self.policy.new_capture_allowed, AuditList())
        self.outbox_closed = False
        booth = SimpleNamespace(
            capture=self.capture, outbox=SimpleNamespace(close=self._close), run_locked=run_inline
        )
        settings = settings.model_copy(update={"shutdown_command": recorder_command(record, "x")})
        self.guard = guard_booth(booth, self.policy, settings, store=None)  # type: ignore[arg-type]
        self.client = office.client("booth-01")
        self.guard.attach(self.client)

    def _close(self) -> None:
        self.outbox_closed = True


def test_a_stale_retained_shutdown_is_ignored_and_a_fresh_one_obeyed(
    office: Office, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edge = office.client("edge")
    edge.publish_and_wait(OFFICE_POWER, power("SHUTDOWN", minutes_ago=20), retain=True)
    record = tmp_path / "poweroff.txt"

    with caplog.at_level(logging.WARNING, logger="kiosk.power.guard"):
        booth = StartingBooth(office, record, BoothPowerSettings())  # default age limit
        assert wait_for(lambda: "ignored SHUTDOWN" in caplog.text, WAIT_S), caplog.text
    assert "more than the 300 s allowed" in caplog.text
    assert not booth.guard.started.is_set()
    assert recorded(record) == []
    assert booth.capture.new_capture_allowed()  # the operator can record
    assert booth.status.power_notice is None  # no banner

    edge.publish_and_wait(OFFICE_POWER, power("SHUTDOWN"), retain=True)
    assert booth.guard.wait(WAIT_S)
    assert recorded(record) == ["x"]
    assert booth.outbox_closed
    assert not booth.capture.new_capture_allowed()


def test_the_age_limit_is_the_booths_setting(office: Office, tmp_path: Path) -> None:
    edge = office.client("edge")
    edge.publish_and_wait(OFFICE_POWER, power("SHUTDOWN", minutes_ago=20), retain=True)
    record = tmp_path / "poweroff.txt"
    booth = StartingBooth(office, record, BoothPowerSettings(shutdown_max_age_s=3600))
    assert booth.guard.wait(WAIT_S)  # 20 minutes is young enough for this office
    assert recorded(record) == ["x"]
