"""Mobile duty: a booth leaves only with a fresh roster and room on its disk, works with
no edge (carried roster, its own tickets, the outbox), and merges back exactly once.

The last test builds a real booth: run this file with the card lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from booth_fixtures import BoothSetup
from mobile_week_fixtures import keep_roster_digests, mobile_setup, walk_in, write_office_keys

from demo.roster import insert_residents
from edge_controller.booths.monitor import register_booth_key
from edge_controller.ingest.db import connect
from edge_controller.mobile.stats import mobile_statistics
from edge_controller.roster.publisher import pending_updates
from kiosk.booth import build_booth
from kiosk.config.booth import load_booth_config
from kiosk.config.mobile import MobileSettings
from kiosk.headless import HeadlessRunner
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.mobile.duty import MobileDuty, MobileDutyRefused, duty_banner
from kiosk.mobile.tickets import MobileStore, MobileTicketDesk
from kiosk.outbox.store import SendableKind
from kiosk.script import EnrollmentScript
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import edge_config, running_edge
from tests.kiosk.edge_office_fixtures import office, register_booth_setup, two_village_roster

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def residents():
    return two_village_roster(tasuk_adults=6, seed=9)


def carry_roster(
    data_dir: Path,
    residents,
    tmp_path: Path,
    *,
    age_hours: float = 0,
    booth_key_path: Path | None = None,
) -> None:
    """Put the edge's digests where the booth keeps them, as if received ``age_hours`` ago
    (and the office roster key, sealed to the booth whose key is at ``booth_key_path``)."""
    source = tmp_path / f"digest-source-{age_hours}.sqlite3"
    source.unlink(missing_ok=True)
    conn = connect(source)
    try:
        insert_residents(conn, residents)
        updates = pending_updates(conn, NOW)
        if booth_key_path is not None:
            key = load_or_create_signing_key(booth_key_path)
            register_booth_key(conn, "booth-01", public_key_pem(key), NOW)
            write_office_keys(conn, data_dir, NOW)
    finally:
        conn.close()
    keep_roster_digests(data_dir, updates, NOW - dt.timedelta(hours=age_hours))


def test_a_booth_refuses_to_leave_with_a_stale_roster_or_a_full_disk(
    residents, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    carry_roster(data_dir, residents, tmp_path, age_hours=30)
    duty = MobileDuty(data_dir, MobileSettings(max_roster_age_hours=24, min_free_disk_mb=1))
    roster = RosterFeed.in_data_dir(data_dir)

    with pytest.raises(MobileDutyRefused) as stale:
        duty.start(["Tasuk"], roster, NOW)
    assert stale.value.code == "mobile.stale_roster"
    assert "Tasuk" in stale.value.localized("id")
    assert "30 jam" in stale.value.localized("id")
    with pytest.raises(MobileDutyRefused) as unknown:
        duty.start(["Merancang Ulu"], roster, NOW)
    assert unknown.value.code == "mobile.unknown_village"
    assert not duty.active

    carry_roster(data_dir, residents, tmp_path)  # refreshed at the office
    full = MobileDuty(data_dir, MobileSettings(min_free_disk_mb=10**9))  # ~1 PB asked
    with pytest.raises(MobileDutyRefused) as disk:
        full.start(["Tasuk"], RosterFeed.in_data_dir(data_dir), NOW)
    assert disk.value.code == "mobile.disk_full"
    assert "MB" in disk.value.localized("en")

    state = duty.start(["tasuk", "Birang"], RosterFeed.in_data_dir(data_dir), NOW)
    assert state.villages == ("Tasuk", "Birang")
    assert MobileDuty(data_dir, MobileSettings()).active  # survives a restart
    later = NOW + dt.timedelta(days=2, hours=3, minutes=10)
    assert duty_banner(state, later, 14, "id") == (
        "Tugas keliling: 2 hari 3 jam · 14 rekaman menunggu"
    )
    with pytest.raises(MobileDutyRefused):
        duty.start(["Tasuk"], RosterFeed.in_data_dir(data_dir), NOW)
    duty.end(later)
    assert not duty.active


def test_a_mobile_day_without_the_edge_merges_back_once(
    office: Office, mobile_setup: BoothSetup, residents, tmp_path: Path, smartcard_pcscd: object
) -> None:
    config = load_booth_config(mobile_setup.config_path)
    carry_roster(config.data_dir, residents, tmp_path, booth_key_path=config.signing_key_path)
    MobileDuty(config.data_dir, config.mobile).start(
        ["Tasuk"], RosterFeed.in_data_dir(config.data_dir), NOW
    )
    person = next(r for r in residents if r.kelurahan == "Tasuk")

    booth = build_booth(config, guard_power=False)
    try:
        assert isinstance(booth.tickets, MobileTicketDesk)
        script = EnrollmentScript.model_validate(
            {"residents": [{"nik": person.nik, "kk": person.kk, "name": person.name}]}
        )
        (done,) = HeadlessRunner(booth, script).run().residents
        assert done.ticket == "M-001"  # the booth's own number
        assert booth.outbox.depth() == 1  # sealed and waiting for the office

        kept = booth.outbox.sendables
        assert booth.uplink is not None
        assert wait_for(lambda: booth.uplink is not None and booth.uplink.connected, 30)
        # the broker is there, the edge is not: the check-in and the call are tried, kept
        assert wait_for(lambda: any(m.attempts for m in kept.pending_sendables()), 30)
        assert kept.sendables_waiting(SendableKind.MOBILE_TICKET) == 2
        sent_before = [m.sendable for m in kept.pending_sendables()]

        # back at the office: the edge comes up
        edge_cfg = edge_config(office, tmp_path / "edge")
        (tmp_path / "edge").mkdir()
        register_booth_setup(edge_cfg, mobile_setup)
        with contextlib.contextmanager(running_edge)(edge_cfg) as edge:
            assert wait_for(lambda: booth.outbox.depth() == 0, timeout=60)
            assert wait_for(lambda: kept.sendables_waiting() == 0, timeout=60)

            def served() -> list[tuple[str, int, int]]:
                db = edge.db()
                try:
                    return [(d.kelurahan, d.checked_in, d.served) for d in mobile_statistics(db)]
                finally:
                    db.close()

            assert wait_for(lambda: served() == [("Tasuk", 1, 1)], timeout=30)

            # everything sent again (a lost acknowledgement), then one new check-in
            for message in sent_before:
                kept.enqueue(message)
            extra = residents[-1]
            store = MobileStore.in_data_dir(config.data_dir)
            try:
                MobileTicketDesk(store, booth_id="booth-01", send=booth.uplink.send).issue(
                    walk_in(extra)
                )
            finally:
                store.close()
            assert wait_for(lambda: kept.sendables_waiting() == 0, timeout=60)
            assert wait_for(lambda: len(served()) == 2, timeout=30)
            assert sorted(served()) == [("Birang", 1, 0), ("Tasuk", 1, 1)]
    finally:
        booth.close()
