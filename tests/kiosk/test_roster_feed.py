"""The booth checks residents in against the edge's roster digests, and keeps them on disk.

A real office: mosquitto with TLS and the ACL, the edge service publishing the digests,
the booth's own uplink subscribing. The booth is registered at the edge, so the office
roster key comes sealed to it. Run with the card lock (the last test builds a booth).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import write_booth_config

from edge_controller.booths.keys import register_booth_key
from edge_controller.ingest.db import connect
from edge_controller.roster.store import record_enrollment
from ektp.resident import mask_name
from kiosk.audit import AuditLog
from kiosk.booth import build_booth
from kiosk.config.booth import load_booth_config
from kiosk.flow.checkin import CheckInFlow, CheckInStep
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import InMemoryTicketDesk
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.uplink.roster_feed import RosterFeed
from tests.edge_controller.broker_fixtures import Office, wait_for
from tests.edge_controller.ingest_fixtures import (
    BoothKit,
    RunningEdge,
    make_booth,
    register,
    running_edge,
)
from tests.kiosk.edge_office_fixtures import (
    FAST_ROSTER,
    RECORDED_AT,
    booth_roster_feed,
    followed_roster_feed,
    kit,
    office,
    office_edge_config,
    two_village_roster,
)


@pytest.fixture
def residents():
    people = two_village_roster(tasuk_adults=6, seed=5)
    people[1] = dataclasses.replace(people[1], card_status="printed")
    return people


@pytest.fixture
def edge(office: Office, tmp_path: Path, residents, kit: BoothKit) -> Iterator[RunningEdge]:
    config = office_edge_config(office, tmp_path, residents=residents, roster=FAST_ROSTER)
    conn = connect(config.database.path)
    try:
        record_enrollment(conn, residents[1].nik, "pkt-1", "booth-09", "Tasuk", RECORDED_AT)
    finally:
        conn.close()
    register(config, kit)
    yield from running_edge(config)


def checkin_flow(roster: RosterFeed, tmp_path: Path) -> CheckInFlow:
    return CheckInFlow(
        roster=roster,
        tickets=InMemoryTicketDesk(),
        audit=AuditLog(tmp_path / "audit.sqlite"),
        documents_for=lambda service: ["kk"],
        services=["new_recording", "renewal"],
    )


def start_at_nik(flow: CheckInFlow, service: str = "new_recording") -> None:
    flow.start("id")
    flow.choose_service(service)


def test_a_resident_checks_in_against_the_edge_digest(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path
) -> None:
    with followed_roster_feed(kit, tmp_path / "roster") as feed:
        flow = checkin_flow(feed, tmp_path)
        person = residents[0]
        start_at_nik(flow)
        flow.enter_nik(person.nik)
        assert flow.step is CheckInStep.KK
        with pytest.raises(FlowError) as wrong:
            flow.enter_kk(residents[-1].kk)  # another family's card
        assert wrong.value.code == "kk_mismatch"
        flow.enter_kk(person.kk)
        assert flow.step is CheckInStep.CONFIRM
        assert flow.masked_name == mask_name(person.name)
        flow.confirm_name(True)
        ticket = flow.accept_documents()
        assert ticket.checkin.in_roster
        assert ticket.checkin.kelurahan == person.kelurahan
        flow.finish()

        # already recorded: the booth says when, and where the card is
        recorded = residents[1]
        start_at_nik(flow)
        flow.enter_nik(recorded.nik)
        assert flow.step is CheckInStep.ALREADY_RECORDED
        entry = flow.recorded_entry
        assert entry is not None
        assert (entry.recorded_on, entry.card_status) == (RECORDED_AT.date(), "printed")


def test_a_booth_restarting_without_the_edge_still_checks_residents_in(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path
) -> None:
    with followed_roster_feed(kit, tmp_path / "roster"):
        pass  # the booth was online once, then restarts with no edge to reach

    offline = booth_roster_feed(kit, tmp_path / "roster")  # no client: only what the disk holds

    assert set(offline.villages()) == {"Tasuk", "Birang"}
    flow = checkin_flow(offline, tmp_path)
    birang = next(r for r in residents if r.kelurahan == "Birang")
    start_at_nik(flow)
    flow.enter_nik(birang.nik)
    flow.enter_kk(birang.kk)
    assert flow.step is CheckInStep.CONFIRM
    assert flow.masked_name == mask_name(birang.name)


def test_a_corrupt_or_invalid_digest_is_ignored_and_the_old_copy_kept(
    edge: RunningEdge, kit: BoothKit, residents, tmp_path: Path, caplog
) -> None:
    directory = tmp_path / "roster"
    with followed_roster_feed(kit, directory) as feed:
        stored = (directory / "tasuk.json").read_bytes()
        with caplog.at_level(logging.WARNING, logger="kiosk.uplink.roster_feed"):
            assert not feed.receive("office/roster/tasuk", b'{"v": 1, "kelurahan": "Tas')
            assert not feed.receive(
                "office/roster/tasuk",
                b'{"v":2,"kelurahan":"Tasuk","generated_at":"yesterday","secret_id":"00",'
                b'"entries":{}}',
            )
        bad = [r.getMessage() for r in caplog.records if "ignored a bad digest" in r.getMessage()]
        assert len(bad) == 2
        assert "message.malformed_json" in bad[0]
        assert "message.schema" in bad[1]
        assert (directory / "tasuk.json").read_bytes() == stored
        assert feed.find(residents[0].nik) is not None

    (directory / "birang.json").write_bytes(b"\x00 half-written")
    with caplog.at_level(logging.WARNING, logger="kiosk.uplink.roster_feed"):
        from_disk = booth_roster_feed(kit, directory)
    assert set(from_disk.villages()) == {"Tasuk"}
    assert any("birang.json" in r.getMessage() for r in caplog.records)
    assert from_disk.find(residents[0].nik) is not None


def test_a_booth_with_an_edge_and_no_roster_given_follows_the_digests(
    office: Office, edge: RunningEdge, residents, tmp_path: Path, smartcard_pcscd: object
) -> None:
    setup = write_booth_config(
        tmp_path / "booth",
        extra=(office.booth_toml("booth-01")),
    )
    config = load_booth_config(setup.config_path)
    key = load_or_create_signing_key(config.signing_key_path)
    conn = edge.db()
    try:  # the technician registers this unit (a new key for booth-01)
        register_booth_key(conn, "booth-01", public_key_pem(key), dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    booth = build_booth(config, guard_power=False)
    try:
        assert isinstance(booth.roster, RosterFeed)
        person = residents[2]
        assert wait_for(lambda: booth.roster.find(person.nik) is not None, timeout=30)
        assert (setup.data_dir / "roster" / "tasuk.json").exists()
    finally:
        booth.close()


def test_a_booth_the_edge_never_registered_finds_nobody(
    office: Office, edge: RunningEdge, residents, tmp_path: Path, caplog
) -> None:
    stranger = make_booth(office, tmp_path / "booths", "booth-07")  # a certificate, no key
    feed = booth_roster_feed(stranger, tmp_path / "stranger")
    try:
        with (
            caplog.at_level(logging.WARNING, logger="kiosk.uplink.roster_feed"),
            stranger.uplink() as uplink,
        ):
            feed.attach(uplink.client)
            assert wait_for(lambda: set(feed.villages()) == {"Tasuk", "Birang"}, timeout=30)
            assert wait_for(lambda: "not sealed for this booth" in caplog.text, timeout=30)
        assert feed.secret is None  # the office roster key is sealed to registered booths only
        assert feed.find(residents[0].nik) is None
        assert not (tmp_path / "stranger" / "office-keys.sealed").exists()
    finally:
        feed.close()
        stranger.close()
