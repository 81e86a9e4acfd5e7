"""Planning from measured capacity (issue 21): once enough office days are measured by the
booths' stage events, the schedule sizes days by the residents one booth really records
in a day, and the coverage projection says when the target falls with one more booth.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from web_fixtures import NOW, Office

from edge_controller.planning.capacity import MIN_MEASURED_DAYS
from edge_controller.service_times.store import record_stage_event
from ektp.service_stages import Stage
from kiosk.uplink.stage_events import stage_event

WITA = ZoneInfo("Asia/Makassar")
SEALED_PER_BOOTH_DAY = {"booth-01": 30, "booth-02": 34}


def measure_days(office: Office, days: int, *, first: int = 1) -> None:
    """What two booths' sealed stages leave at the edge on ``days`` days, ``first`` days
    before today and earlier."""
    conn = office.db()
    try:
        for back in range(first, first + days):
            day = NOW - dt.timedelta(days=back)
            for booth_id, count in SEALED_PER_BOOTH_DAY.items():
                for number in range(count):
                    at = day + dt.timedelta(minutes=10 * number)
                    fields: dict[str, Any] = {"ticket": f"A-{number:03d}", "operator": "OP-1"}
                    fields["checked_in"] = (at - dt.timedelta(hours=1)).isoformat()
                    event = stage_event(booth_id, Stage.SEALED, at, fields)
                    record_stage_event(conn, event, timezone=WITA, received_at=at)
    finally:
        conn.close()


def schedule(client: TestClient, kits: int) -> dict[str, Any]:
    answer = client.get("/api/v1/schedule", params={"start": "2026-03-11", "kits": kits})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_the_schedule_uses_measured_capacity_once_enough_days_are_measured(
    web_office: Office, supervisor: TestClient
) -> None:
    configured = schedule(supervisor, kits=2)
    assert configured["capacity_measured"] is False

    measure_days(web_office, MIN_MEASURED_DAYS - 1)
    assert schedule(supervisor, kits=2)["capacity_measured"] is False  # too few days yet

    measure_days(web_office, 1, first=MIN_MEASURED_DAYS)  # one more day
    measured = schedule(supervisor, kits=2)
    assert measured["capacity_measured"] is True
    assert measured["capacity"] == 64  # median of 30 and 34 per booth-day, two booths
    assert schedule(supervisor, kits=3)["capacity"] == 96
    page = supervisor.get("/schedule", params={"start": "2026-03-11", "kits": 2}).text
    assert 'id="capacity-measured"' in page


def test_the_projection_says_when_one_more_booth_reaches_the_target(
    web_office: Office, supervisor: TestClient
) -> None:
    before = supervisor.get("/api/v1/coverage").json()["projection"]
    assert before["with_one_more_booth"] is None  # nothing measured yet

    measure_days(web_office, MIN_MEASURED_DAYS)
    projection = supervisor.get("/api/v1/coverage").json()["projection"]
    assert projection["remaining"] > 0
    one_more = dt.date.fromisoformat(projection["with_one_more_booth"])
    assert one_more > NOW.date()
    if projection["projected_date"] is not None:
        assert one_more <= dt.date.fromisoformat(projection["projected_date"])
    page = supervisor.get("/coverage").text
    assert 'id="projection-one-more-booth"' in page
