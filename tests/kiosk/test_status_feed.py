"""The banners' status follows the booth: edge reachability, records waiting, power."""

from __future__ import annotations

import datetime as dt
import uuid

from booth_fixtures import booth_setup, emulated_booth

from ektp.messages import (
    PowerMessage,
    ReviewBacklogMessage,
    ReviewDecision,
    ReviewDecisionsMessage,
)
from kiosk.booth import Booth
from kiosk.mobile.duty import DutyState
from kiosk.power.policy import PowerPolicy
from kiosk.ui.booth_app import StatusFeed
from kiosk.ui.status import BoothStatus, PowerState, notice_lines
from kiosk.uplink.review_notices import ReviewNotices


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


def test_a_rejected_record_and_a_review_backlog_reach_the_operator_until_closed(
    emulated_booth: Booth,
) -> None:
    now = dt.datetime.now(dt.UTC)
    reviews = ReviewNotices(emulated_booth.config.booth_id, emulated_booth.audit)
    emulated_booth.reviews = reviews
    status = BoothStatus()
    feed = StatusFeed(emulated_booth, status)
    feed.refresh()
    assert notice_lines(status, "id") == []

    rejected = ReviewDecision(
        packet_id=uuid.uuid4(), decision="rejected", decided_at=now, comment="Foto buram"
    )
    reviews.on_decisions(
        ReviewDecisionsMessage(
            booth_id=emulated_booth.config.booth_id, at=now, decisions=(rejected,)
        )
    )
    reviews.backlog = ReviewBacklogMessage(at=now, waiting=31, warn_above=20)
    feed.refresh()
    lines = notice_lines(status, "id")
    assert len(lines) == 2
    assert "Foto buram" in lines[0]
    assert "31" in lines[1]
    assert notice_lines(status, "en") != lines  # both languages, Indonesian first

    reviews.dismiss()  # the operator taps the notice
    feed.refresh()
    assert [line for line in notice_lines(status, "id") if "Foto buram" in line] == []
    assert any(e.event == "review.decision" for e in emulated_booth.audit.entries())


def test_mobile_duty_shows_how_long_the_booth_has_been_away_and_what_waits() -> None:
    started = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
    status = BoothStatus(records_waiting=14, mobile_duty=DutyState(("Tasuk",), started))
    line = notice_lines(status, "id", now=started + dt.timedelta(days=2, hours=3, minutes=20))[0]
    assert "2" in line
    assert "3" in line
    assert "14" in line
