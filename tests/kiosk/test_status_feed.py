"""The banners' status follows the booth: edge reachability, records waiting, power."""

from __future__ import annotations

import datetime as dt

from booth_fixtures import booth_setup, emulated_booth

from ektp.messages import PowerMessage
from kiosk.booth import Booth
from kiosk.power import PowerPolicy
from kiosk.ui.booth_app import StatusFeed
from kiosk.ui.status import BoothStatus, PowerState


def test_the_banner_status_follows_the_outbox_the_link_and_the_power(emulated_booth: Booth) -> None:
    status = BoothStatus()
    emulated_booth.power = PowerPolicy(booth_id="booth-01")
    feed = StatusFeed(emulated_booth, status)
    emulated_booth.outbox.commit("00000000-0000-4000-8000-000000000001", b"sealed", {"size": 6})
    feed.refresh()
    assert status.records_waiting == 1
    assert status.edge_online is False  # this booth has no edge configured
    emulated_booth.power.update(
        PowerMessage(state="ON_BATTERY", at=dt.datetime.now(dt.UTC), runtime_left_s=1200)
    )
    assert status.power is PowerState.ON_BATTERY
    assert status.battery_minutes_left == 20
