"""The outage log and the power report on the dashboard, for a scripted day of cuts.

The office's clock stands at Tuesday 10 March 2026, 10:00 WITA (see web_fixtures). The
log holds Monday's cuts, one that crosses midnight, and one still going on Tuesday
morning; the pages and the JSON API must show the same minutes.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from web_fixtures import Office, csrf_from

from edge_controller.power import OutageLog
from edge_controller.web.app import SESSION_COOKIE
from ektp.power import PowerState

WITA = ZoneInfo("Asia/Makassar")
MONDAY = dt.date(2026, 3, 9)
TUESDAY = dt.date(2026, 3, 10)  # "today" for the dashboard (10:00 WITA)


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WITA)


def script_cuts(conn: sqlite3.Connection) -> None:
    """Monday: three PLN cuts (the genset ran in two), a fourth from 23:30 to 00:30;
    Tuesday: a cut since 09:30, still going. Three captures refused (one re-sent)."""
    log = OutageLog(conn)
    changes = [
        (at(MONDAY, 0, 0), PowerState.MAINS),
        (at(MONDAY, 8, 10), PowerState.ON_BATTERY),  # 45 min, genset 08:20-08:55
        (at(MONDAY, 8, 20), PowerState.GENERATOR),
        (at(MONDAY, 8, 55), PowerState.MAINS),
        (at(MONDAY, 11, 0), PowerState.ON_BATTERY),  # 12 min on battery only
        (at(MONDAY, 11, 12), PowerState.MAINS),
        (at(MONDAY, 14, 30), PowerState.ON_BATTERY),  # 90 min, genset 15:00-15:40
        (at(MONDAY, 15, 0), PowerState.GENERATOR),
        (at(MONDAY, 15, 40), PowerState.ON_BATTERY),
        (at(MONDAY, 15, 50), PowerState.LOW_BATTERY),
        (at(MONDAY, 16, 0), PowerState.MAINS),
        (at(MONDAY, 23, 30), PowerState.ON_BATTERY),  # 30 min Monday + 30 min Tuesday
        (at(TUESDAY, 0, 30), PowerState.MAINS),
        (at(TUESDAY, 9, 30), PowerState.ON_BATTERY),  # still going at 10:00
    ]
    for moment, state in changes:
        log.record_state(state, moment)
    log.record_refusal("booth-01", "refusal-1", at(MONDAY, 11, 5), "ON_BATTERY")
    log.record_refusal("booth-01", "refusal-1", at(MONDAY, 11, 5), "ON_BATTERY")  # re-sent
    log.record_refusal("booth-02", "refusal-2", at(MONDAY, 15, 55), "LOW_BATTERY")
    log.record_refusal("booth-01", "refusal-3", at(TUESDAY, 9, 45), "ON_BATTERY")


@pytest.fixture
def cuts(web_office: Office) -> Office:
    conn = web_office.db()
    try:
        script_cuts(conn)
    finally:
        conn.close()
    return web_office


def cell(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()


# --- the report --------------------------------------------------------------------


def test_the_day_report_shows_the_minutes_of_the_scripted_day(
    cuts: Office, supervisor: TestClient
) -> None:
    page = supervisor.get(f"/power/report?day={MONDAY.isoformat()}").text
    assert "Laporan listrik" in page  # Indonesian first
    assert "Senin, 09 Maret 2026" in page
    assert cell(page, "minutes-without-mains") == "177"  # 45 + 12 + 90 + 30
    assert cell(page, "minutes-on-generator") == "75"  # 35 + 40
    assert cell(page, "minutes-on-battery") == "102"
    assert cell(page, "outages") == "4"
    assert cell(page, "refused-captures") == "2"

    report = supervisor.get(f"/api/v1/power/report?day={MONDAY.isoformat()}").json()
    assert (report["period"], report["first_day"], report["last_day"]) == (
        "day",
        "2026-03-09",
        "2026-03-09",
    )
    assert report["minutes_without_mains"] == 177
    assert report["minutes_on_generator"] == 75
    assert report["minutes_on_battery"] == 102
    assert report["outages"] == 4
    assert report["refused_captures"] == 2
    assert report["starts_at"] == "2026-03-08T16:00:00Z"  # WITA midnight


def test_today_counts_the_cut_still_going_until_now(cuts: Office, supervisor: TestClient) -> None:
    page = supervisor.get("/power/report").text  # no date: today
    assert "Selasa, 10 Maret 2026" in page
    assert cell(page, "minutes-without-mains") == "60"  # 00:00-00:30 and 09:30-10:00
    assert cell(page, "minutes-on-battery") == "60"
    assert cell(page, "outages") == "1"  # the midnight cut began on Monday
    assert cell(page, "refused-captures") == "1"


def test_the_week_report_sums_its_days_and_navigates(cuts: Office, supervisor: TestClient) -> None:
    report = supervisor.get("/api/v1/power/report?period=week&day=2026-03-12").json()
    assert (report["first_day"], report["last_day"]) == ("2026-03-09", "2026-03-15")
    assert (report["iso_year"], report["iso_week"]) == (2026, 11)
    assert report["minutes_without_mains"] == 177 + 60
    assert report["minutes_on_generator"] == 75
    assert report["refused_captures"] == 3
    assert report["outages"] == 5
    by_day = {line["date"]: line for line in report["days"]}
    assert len(by_day) == 7
    assert by_day["2026-03-09"]["minutes_without_mains"] == 177
    assert by_day["2026-03-10"]["minutes_without_mains"] == 60
    assert by_day["2026-03-11"]["minutes_without_mains"] == 0  # the future: nothing yet
    assert sum(line["minutes_without_mains"] for line in report["days"]) == 237

    page = supervisor.get("/power/report?period=week&day=2026-03-12").text
    assert "minggu ke-11 tahun 2026" in page
    assert cell(page, "minutes-without-mains") == "237"
    assert 'data-day="2026-03-15"' in page
    assert 'href="/power/report?period=week&amp;day=2026-03-02"' in page  # previous week
    assert 'href="/power/report?period=week&amp;day=2026-03-16"' in page  # next week
    earlier = supervisor.get("/power/report?period=week&day=2026-03-02").text
    assert cell(earlier, "minutes-without-mains") == "0"


def test_the_printable_report_has_no_menu_and_follows_the_language(
    cuts: Office, supervisor: TestClient
) -> None:
    page = supervisor.get("/power/report").text
    assert "@media print" in page  # the page itself prints without its menu and form
    printable = supervisor.get(f"/power/report/print?period=week&day={MONDAY.isoformat()}").text
    assert "<nav>" not in printable
    assert "<form" not in printable
    assert "Kecamatan Gunung Tabur" in printable
    assert cell(printable, "minutes-without-mains") == "237"
    supervisor.post(
        "/language",
        data={"lang": "en", "next": "/power/report", "csrf_token": csrf_from(page)},
    )
    english = supervisor.get(f"/power/report/print?day={MONDAY.isoformat()}").text
    assert "Minutes without mains (PLN)" in english
    assert "Monday, March 9, 2026" in english


def test_bad_report_parameters_are_refused(supervisor: TestClient) -> None:
    assert supervisor.get("/api/v1/power/report?period=month").status_code == 422
    assert supervisor.get("/api/v1/power/report?day=2026-02-30").status_code == 422
    assert supervisor.get("/api/v1/power/outages?limit=0").status_code == 422


# --- the outage log ------------------------------------------------------------------


def test_the_outage_log_lists_every_event_newest_first_in_pages(
    cuts: Office, supervisor: TestClient
) -> None:
    first = supervisor.get("/api/v1/power/outages?limit=5").json()
    assert first["total"] == 12
    events = first["events"]
    assert [e["source"] for e in events] == [
        "mains_lost",  # Tuesday 09:30, still going
        "restored",  # Tuesday 00:30
        "mains_lost",  # Monday 23:30
        "restored",  # Monday 16:00
        "battery_low",  # Monday 15:50
    ]
    assert events[0]["ongoing"]
    assert events[0]["ended_at"] is None
    assert events[0]["duration_minutes"] == 30  # until now
    assert events[1]["duration_minutes"] is None  # an instant
    assert events[2]["duration_minutes"] == 60
    assert events[2]["ended_at"] == "2026-03-09T16:30:00Z"
    older = supervisor.get("/api/v1/power/outages?limit=5&offset=10").json()
    assert [e["started_at"] for e in older["events"]] == [
        "2026-03-09T00:20:00Z",  # generator on, 08:20 WITA
        "2026-03-09T00:10:00Z",  # the first cut, 08:10 WITA
    ]

    page = supervisor.get("/power/outages?limit=5").text
    assert "Catatan pemadaman" in page
    assert "12 kejadian tercatat" in page
    rows = re.findall(r'<tr data-source="([a-z_]+)"', page)
    assert rows == ["mains_lost", "restored", "mains_lost", "restored", "battery_low"]
    assert 'class="ongoing"' in page
    assert "masih berlangsung" in page
    assert "Listrik PLN padam" in page
    assert "60 menit" in page
    assert 'id="older" href="/power/outages?offset=5&amp;limit=5"' in page
    assert 'id="newer"' not in page
    last = supervisor.get("/power/outages?limit=5&offset=10").text
    assert 'id="older"' not in last
    assert 'id="newer" href="/power/outages?offset=5&amp;limit=5"' in last


def test_an_empty_log_says_so(supervisor: TestClient) -> None:
    assert "Belum ada kejadian listrik yang tercatat." in supervisor.get("/power/outages").text
    assert supervisor.get("/api/v1/power/outages").json()["total"] == 0


def test_the_power_card_and_page_link_the_log_and_the_report(supervisor: TestClient) -> None:
    overview = supervisor.get("/").text
    card = overview.split('id="card-power"')[1].split('id="card-upstream"')[0]
    assert 'href="/power/outages"' in card
    assert 'href="/power/report"' in card
    power = supervisor.get("/power").text
    assert 'href="/power/outages"' in power
    assert 'href="/power/report?period=week"' in power


def test_the_power_pages_and_api_need_a_login(anonymous: TestClient) -> None:
    for path in ("/power/outages", "/power/report", "/power/report/print"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/power/")
    for path in ("/api/v1/power/outages", "/api/v1/power/report"):
        assert anonymous.get(path).status_code == 401


# --- the API holds to its spec ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/power/outages", "/api/v1/power/report"])
def test_no_power_api_input_gives_a_server_error(
    path: str, cuts: Office, web_app: FastAPI, supervisor: TestClient
) -> None:
    headers = {"Cookie": f"{SESSION_COOKIE}={supervisor.cookies[SESSION_COOKIE]}"}
    spec = schemathesis.openapi.from_asgi("/openapi.json", web_app, headers=headers)
    assert spec.raw_schema["paths"][path]["get"]["summary"]

    @given(case=spec[path]["GET"].as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    fuzz()
