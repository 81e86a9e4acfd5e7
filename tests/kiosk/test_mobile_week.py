"""Issue 10's acceptance: a booth away from the broker for a simulated week of recordings
reconnects and drains completely, coverage updated and nothing duplicated.

The booth leaves on mobile duty with the roster digests the edge made, records 300
residents over seven days in three far villages with the office broker out of reach,
comes back, and drains; a second reconnect, with half the acks and every event reply
lost, changes nothing at the edge. It builds a real booth: run it with the card lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from booth_fixtures import BoothSetup, write_booth_config
from mobile_week_fixtures import (
    BoothClock,
    Recorded,
    booth_sealer,
    carry_edge_roster,
    edge_tables,
    lose_acks,
    mobile_cli,
    mobile_setup,
    record_resident,
    walk_in,
)

from demo.roster import SyntheticResident, VillageCount, synthetic_roster
from edge_controller.config.coverage import CoverageConfig
from edge_controller.ingest.db import connect
from edge_controller.mobile.stats import MobileDay, mobile_statistics
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.coverage import coverage_report
from edge_controller.roster.store import load_residents
from kiosk.booth import build_booth
from kiosk.config.booth import load_booth_config
from kiosk.mobile.duty import MobileDuty, duty_banner
from kiosk.mobile.tickets import MobileStore, MobileTicketDesk
from kiosk.outbox.store import Outbox, SendableKind
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import running_edge
from tests.kiosk.edge_office_fixtures import office, office_edge_config, register_booth_setup

OFFICE_TZ = ZoneInfo("Asia/Makassar")  # WITA, the edge's default office time zone
ROSTER = [VillageCount("Tasuk", 6, 150), VillageCount("Birang", 7, 110)]
ROSTER += [VillageCount("Merancang Ulu", 8, 100)]
WEEK = [  # where the booth is each day, and how many it records there: 300 in all
    ("Tasuk", 40),
    ("Tasuk", 45),
    ("Tasuk", 42),
    ("Birang", 48),
    ("Birang", 41),
    ("Merancang Ulu", 44),
    ("Merancang Ulu", 40),
]
ALREADY_RECORDED = 10
"""Tasuk residents the roster export already marks recorded (not called again)."""
FIRST_CALL = dt.time(7, 30)  # 23:30 UTC the day before: the office's date must win
SERVICE_GAP = dt.timedelta(minutes=9)
LONG = 90.0  # seconds: generous deadlines for a loaded two-core machine


def office_roster(first_day: dt.date) -> list[SyntheticResident]:
    residents = synthetic_roster(ROSTER, adult_on=first_day, seed=10)
    tasuk = [i for i, r in enumerate(residents) if r.kelurahan == "Tasuk"]
    for index in tasuk[-ALREADY_RECORDED:]:
        residents[index] = dataclasses.replace(residents[index], card_status="recorded")
    return residents


def coverage_by_day(db_path: Path, days: list[dt.date]) -> dict[dt.date, dict[str, int]]:
    conn = connect(db_path)
    try:
        reports = {
            day: coverage_report(
                conn, as_of=day, config=CoverageConfig(), calendar=WorkingCalendar()
            )
            for day in days
        }
    finally:
        conn.close()
    return {
        day: {line.kelurahan or "": line.recorded for line in report.kelurahan}
        for day, report in reports.items()
    }


@pytest.mark.slow
def test_a_week_away_drains_completely_once(
    office: Office, mobile_setup: BoothSetup, tmp_path: Path, smartcard_pcscd: object
) -> None:
    today = dt.datetime.now(OFFICE_TZ).date()
    days = [today - dt.timedelta(days=7 - n) for n in range(len(WEEK))]
    residents = office_roster(days[0])
    config = load_booth_config(mobile_setup.config_path)

    # the office before the trip: its roster, the booth's key, the digests the booth carries
    (tmp_path / "edge").mkdir()
    edge_cfg = office_edge_config(office, tmp_path / "edge", residents=residents)
    register_booth_setup(edge_cfg, mobile_setup)
    edge_db = edge_cfg.database.path
    leaving = dt.datetime.combine(days[0], dt.time(6, 0), OFFICE_TZ)
    carry_edge_roster(edge_db, config.data_dir, received=leaving - dt.timedelta(hours=2))
    baseline = coverage_by_day(edge_db, [today])[today]
    assert baseline == {"Birang": 0, "Merancang Ulu": 0, "Tasuk": ALREADY_RECORDED}

    # far from the office: the broker is out of reach all week
    office.broker.stop()
    duty = MobileDuty(config.data_dir, config.mobile)
    villages = sorted({village for village, _ in WEEK})
    duty.start(villages, RosterFeed.in_data_dir(config.data_dir), leaving)
    clock = BoothClock(leaving)
    store = MobileStore.in_data_dir(config.data_dir)
    outbox = Outbox(config.outbox_path)  # the booth's outbox file, a second connection
    desk = MobileTicketDesk(store, booth_id="booth-01", send=outbox.sendables.enqueue, clock=clock)
    booth = build_booth(config, tickets=desk, guard_power=False)
    kept = booth.outbox.sendables

    def waiting_events() -> int:
        return kept.sendables_waiting(SendableKind.MOBILE_TICKET)

    try:
        sealer = booth_sealer(booth)
        waiting = {
            village: [
                r for r in residents if r.kelurahan == village and r.card_status == "not_recorded"
            ]
            for village in villages
        }
        recorded: list[Recorded] = []
        for day, (village, count) in zip(days, WEEK, strict=True):
            first = dt.datetime.combine(day, FIRST_CALL, OFFICE_TZ)
            for n in range(count):
                resident = waiting[village].pop(0)
                recorded.append(
                    record_resident(booth, sealer, clock, resident, first + n * SERVICE_GAP)
                )
        assert booth.uplink is not None
        assert not booth.uplink.connected
        assert booth.outbox.depth() == len(recorded) == 300
        assert waiting_events() == 600  # each check-in and each call
        sent_before = [m.sendable for m in kept.pending_sendables(limit=1000)]
        state = duty.state
        assert state is not None
        back = dt.datetime.combine(today, dt.time(9, 0), OFFICE_TZ)
        assert duty_banner(state, back, booth.outbox.depth(), "id") == (
            "Tugas keliling: 7 hari 3 jam · 300 rekaman menunggu"
        )

        # back at the office: duty ended, the broker and the edge are there again
        duty.end(back)
        office.broker.start()
        with contextlib.contextmanager(running_edge)(edge_cfg) as edge:
            assert wait_for(lambda: booth.outbox.depth() == 0, LONG), booth.outbox.counts()
            assert wait_for(lambda: waiting_events() == 0, LONG), waiting_events()

            def served_and_waiting() -> tuple[int, int]:
                db = edge.db()
                try:
                    days_merged = mobile_statistics(db)
                finally:
                    db.close()
                return sum(d.served for d in days_merged), sum(d.checked_in for d in days_merged)

            assert wait_for(lambda: served_and_waiting()[0] >= 300, LONG)
            assert served_and_waiting() == (300, 300)
            assert_edge_has_the_week_once(edge_db, recorded, days, baseline)
            merged = edge_tables(edge_db)

            # a second reconnect after lost replies: everything goes again, nothing changes
            assert lose_acks(config.outbox_path) == 150
            for message in sent_before:
                kept.enqueue(message)
            office.broker.restart()
            assert wait_for(lambda: booth.outbox.depth() == 0, LONG), booth.outbox.counts()
            assert wait_for(lambda: waiting_events() == 0, LONG), waiting_events()
            # one check-in more at the office: the edge takes events in order, so once it
            # has this one it has handled every re-sent one before it
            clock.now = back + dt.timedelta(minutes=30)
            desk.issue(walk_in(waiting["Birang"][0]))
            assert wait_for(lambda: waiting_events() == 0, LONG), waiting_events()
            assert wait_for(lambda: served_and_waiting()[1] >= 301, LONG)
            assert served_and_waiting() == (300, 301)
            again = edge_tables(edge_db)
            assert {name: again[name] for name in ("packets", "recordings")} == {
                name: merged[name] for name in ("packets", "recordings")
            }
            new_tickets = set(again["mobile_tickets"]) - set(merged["mobile_tickets"])
            assert [(day, number) for _, day, number, _, _ in new_tickets] == [
                (today.isoformat(), "M-001")
            ]
            assert len(again["mobile_tickets"]) == len(merged["mobile_tickets"]) + 1
            assert len(again["mobile_events"]) == len(merged["mobile_events"]) + 1
            assert_edge_has_the_week_once(edge_db, recorded, days, baseline)
    finally:
        booth.close()
        outbox.close()
        store.close()


def assert_edge_has_the_week_once(
    edge_db: Path,
    recorded: list[Recorded],
    days: list[dt.date],
    baseline: dict[str, int],
) -> None:
    conn = connect(edge_db)
    try:
        packets = conn.execute(
            "SELECT packet_id, nik, kelurahan, manifest FROM ingested_packets"
            " WHERE booth_id = 'booth-01'"
        ).fetchall()
        residents = {r.nik: r for r in load_residents(conn)}
        statistics = mobile_statistics(conn)
        tickets = conn.execute("SELECT day, number FROM mobile_tickets").fetchall()
    finally:
        conn.close()

    # every packet exactly once, under the id the booth sealed, for the resident recorded
    assert len(packets) == len(recorded)
    assert {row["packet_id"] for row in packets} == {r.packet_id for r in recorded}
    assert Counter(row["nik"] for row in packets).most_common(1)[0][1] == 1
    by_packet = {r.packet_id: r for r in recorded}
    for row in packets:
        mine = by_packet[row["packet_id"]]
        assert (row["nik"], row["kelurahan"]) == (mine.nik, mine.kelurahan)
        assert json.loads(row["manifest"])["record"]["ticket"] == mine.ticket

    # recorded on the office's calendar day of the capture (07:30 WITA is 23:30 UTC)
    for mine in recorded:
        assert residents[mine.nik].recorded_on == mine.day, mine.ticket
    assert sum(r.recorded_on is not None for r in residents.values()) == len(recorded)
    the_day_before = days[0] - dt.timedelta(days=1)
    after = coverage_by_day(edge_db, [the_day_before, *days])
    assert after[the_day_before] == baseline
    for day in days:
        expected = dict(baseline)
        for mine in recorded:
            if mine.day <= day:
                expected[mine.kelurahan] += 1
        assert after[day] == expected, day

    # the booth's own tickets: M-001… restarting each day, merged once, all served
    per_day = Counter(mine.day for mine in recorded)
    week = {day.isoformat() for day in days}
    assert [d for d in statistics if d.day in week] == [
        MobileDay(day.isoformat(), village, count, count, SERVICE_GAP.total_seconds() / 60)
        for day, (village, count) in zip(days, WEEK, strict=True)
    ]
    for day, count in per_day.items():
        numbers = sorted(number for (on, number) in tickets if on == day.isoformat())
        assert numbers == [f"M-{n:03d}" for n in range(1, count + 1)]


def test_mobile_status_says_when_the_booth_is_at_home(tmp_path: Path) -> None:
    config_path = write_booth_config(tmp_path).config_path
    assert mobile_cli(config_path, "status") == "Bilik ini tidak sedang dalam tugas keliling.\n"
    assert mobile_cli(config_path, "--lang", "en", "status") == "The booth is not on mobile duty.\n"
