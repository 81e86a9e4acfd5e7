"""The edge publishes one retained roster digest per village and keeps it current.

Real mosquitto with TLS and the ACL; the booths' view is a fresh subscriber (paho, and
Debian's own ``mosquitto_sub``) that connects after the fact and gets the retained copy.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_db_fixtures import (
    VillageCount,
    edge_db_fixture,  # provides the edge_db fixture
    insert_residents,
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)

from edge_controller.ingest.db import connect
from edge_controller.roster.publisher import (
    mark_published,
    pending_updates,
    recorded_villages_since,
)
from edge_controller.roster.store import import_roster, record_enrollment
from ektp.messages import RosterDigest, parse_message, roster_key
from ektp.mqtt.message import ReceivedMessage
from ektp.resident import mask_name
from tests.edge_controller.broker_fixtures import Inbox, Office, running_office, wait_for
from tests.edge_controller.ingest_fixtures import (
    RunningEdge,
    edge_config,
    make_booth,
    register,
    running_edge,
)

__all__ = ["edge_db_fixture"]

TODAY = dt.date.today()
NEW_NAME = "Zulaikha Rahmawati"
VILLAGES = [VillageCount("Tasuk", 2, 6), VillageCount("Birang", 2, 5)]


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from running_office(tmp_path / "office")


@pytest.fixture
def residents():
    return synthetic_roster(VILLAGES, adult_on=TODAY, seed=11)


@pytest.fixture
def edge(office: Office, tmp_path: Path, residents) -> Iterator[RunningEdge]:
    config = edge_config(
        office, tmp_path, roster={"check_interval_seconds": 0.2, "min_interval_seconds": 0.2}
    )
    conn = connect(config.database.path)
    try:
        csv = write_roster_csv(tmp_path / "roster.csv", roster_csv_rows(residents))
        assert import_roster(conn, csv, today=TODAY).imported
    finally:
        conn.close()
    yield from running_edge(config)


def digests(messages: list[ReceivedMessage]) -> dict[str, RosterDigest | None]:
    """The latest digest per topic (None: the retained copy was cleared)."""
    latest: dict[str, RosterDigest | None] = {}
    for message in messages:
        if not message.payload:
            latest[message.topic] = None
            continue
        parsed = parse_message(message.topic, message.payload)
        assert isinstance(parsed, RosterDigest)
        latest[message.topic] = parsed
    return latest


def subscribe_fresh(office: Office, booth_id: str) -> Inbox:
    inbox = Inbox()
    office.client(booth_id).subscribe("office/roster/+", inbox)
    return inbox


def entry_of(digest: RosterDigest | None, nik: str):
    assert digest is not None
    return digest.entries.get(roster_key(digest.salt, nik))


def test_each_village_has_a_retained_digest_a_late_booth_receives(
    office: Office, edge: RunningEdge, residents
) -> None:
    issued = office.identity("booth-03")
    run = subprocess.run(
        [
            "mosquitto_sub",
            "-h",
            office.broker.host,
            "-p",
            str(office.broker.port),
            "--cafile",
            str(office.ca.cert_path),
            "--cert",
            str(issued.cert_path),
            "--key",
            str(issued.key_path),
            "-i",
            "booth-03",
            "-V",
            "mqttv5",
            "-t",
            "office/roster/+",
            "-v",
            "-C",
            "2",
            "-W",
            "30",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    received = dict(line.split(" ", 1) for line in run.stdout.decode().splitlines())
    assert set(received) == {"office/roster/tasuk", "office/roster/birang"}

    tasuk = parse_message("office/roster/tasuk", received["office/roster/tasuk"].encode())
    assert isinstance(tasuk, RosterDigest)
    villagers = [r for r in residents if r.kelurahan == "Tasuk"]
    assert len(tasuk.entries) == len(villagers)
    person = villagers[0]
    entry = entry_of(tasuk, person.nik)
    assert entry is not None
    assert entry.masked_name == mask_name(person.name)
    assert entry.kk_key == roster_key(tasuk.salt, person.kk)
    assert (entry.rt, entry.rw) == (f"{person.rt:03d}", f"{person.rw:03d}")
    assert (entry.recorded_on, entry.card_status) == (None, "not_recorded")
    # no plain NIK, KK or full name travels to the booths
    text = received["office/roster/tasuk"]
    assert person.nik not in text
    assert person.kk not in text
    assert person.name not in text


def test_a_reimport_and_a_recording_update_the_digest(
    office: Office, edge: RunningEdge, residents, tmp_path: Path
) -> None:
    inbox = subscribe_fresh(office, "booth-02")
    assert wait_for(lambda: len(digests(inbox.messages)) == 2, timeout=30)
    person = next(r for r in residents if r.kelurahan == "Tasuk")
    before = entry_of(digests(inbox.messages)["office/roster/tasuk"], person.nik)
    assert before is not None

    # the office corrects a name in its spreadsheet and imports it again
    rows = roster_csv_rows(residents)
    for row in rows:
        if row[0] == person.nik:
            row[2] = NEW_NAME
    conn = edge.db()
    try:
        report = import_roster(conn, write_roster_csv(tmp_path / "v2.csv", rows), today=TODAY)
    finally:
        conn.close()
    assert report.updated == 1

    def masked_now() -> str | None:
        found = entry_of(digests(inbox.messages)["office/roster/tasuk"], person.nik)
        return found.masked_name if found else None

    assert wait_for(lambda: masked_now() == mask_name(NEW_NAME), timeout=30)
    late = subscribe_fresh(office, "booth-04")
    assert wait_for(lambda: len(digests(late.messages)) == 2, timeout=30)
    assert entry_of(digests(late.messages)["office/roster/tasuk"], person.nik).masked_name == (
        mask_name(NEW_NAME)
    )
    birang_updates = [m for m in inbox.messages if m.topic == "office/roster/birang"]
    assert len(birang_updates) == 1  # an unchanged village is not sent again

    # the resident is recorded at a booth: the digest says so, with the day
    kit = make_booth(office, tmp_path / "booths", "booth-01")
    register(edge.config, kit)
    packet = kit.seal(nik=person.nik, kk=person.kk, kelurahan="Tasuk")
    kit.outbox.commit(str(packet.packet_id), packet.data, {"kelurahan": "Tasuk"})
    with kit.uplink() as uplink:
        assert uplink.drain(30)
    conn = edge.db()
    try:
        day = conn.execute("SELECT substr(recorded_at, 1, 10) FROM recordings").fetchone()[0]
    finally:
        conn.close()
        kit.close()

    def recorded_now() -> tuple[object, object] | None:
        found = entry_of(digests(inbox.messages)["office/roster/tasuk"], person.nik)
        return (found.recorded_on, found.card_status) if found else None

    assert wait_for(lambda: recorded_now() == (dt.date.fromisoformat(day), "recorded"), 30)


def test_a_village_gone_from_the_roster_is_cleared(office: Office, edge: RunningEdge) -> None:
    inbox = subscribe_fresh(office, "booth-02")
    assert wait_for(lambda: len(digests(inbox.messages)) == 2, timeout=30)
    conn = edge.db()
    try:
        conn.execute("DELETE FROM residents WHERE kelurahan = 'Birang'")
    finally:
        conn.close()

    assert wait_for(lambda: digests(inbox.messages).get("office/roster/birang", 1) is None, 30)
    late = subscribe_fresh(office, "booth-04")
    assert wait_for(lambda: "office/roster/tasuk" in digests(late.messages), timeout=30)
    assert set(digests(late.messages)) == {"office/roster/tasuk"}


def test_a_village_of_ten_thousand_fits_the_contract(edge_db) -> None:
    big = synthetic_roster([VillageCount("Gunung Tabur", 40, 10_000)], adult_on=TODAY, seed=3)
    insert_residents(edge_db, big)

    (update,) = pending_updates(edge_db, dt.datetime.now(dt.UTC))

    assert update.entries == len(big) >= 10_000
    assert len(update.payload) < 4 * 1024 * 1024  # half the topic's limit
    parsed = parse_message(update.topic, update.payload)
    assert isinstance(parsed, RosterDigest)
    assert len(parsed.entries) == len(big)


def test_after_recordings_only_the_villages_they_touched_are_read_again(edge_db) -> None:
    people = synthetic_roster(VILLAGES, adult_on=TODAY, seed=5)
    insert_residents(edge_db, people)
    now = dt.datetime.now(dt.UTC)
    for update in pending_updates(edge_db, now):
        mark_published(edge_db, update, now)
    _, mark = recorded_villages_since(edge_db, 0)
    tasuk = next(r for r in people if r.kelurahan == "Tasuk")
    record_enrollment(edge_db, tasuk.nik, "p-1", "booth-01", "TASUK (typed)", now)

    touched, mark = recorded_villages_since(edge_db, mark)

    assert touched == {"Tasuk"}  # the roster's village, whatever the booth wrote
    (update,) = pending_updates(edge_db, now, villages=touched)
    assert update.topic == "office/roster/tasuk"
    assert recorded_villages_since(edge_db, mark) == (set(), mark)
    # a limited look never clears the villages it did not look at
    edge_db.execute("DELETE FROM residents WHERE kelurahan = 'Birang'")
    assert pending_updates(edge_db, now, villages={"Tasuk"})[0].clears is False
    assert [u.slug for u in pending_updates(edge_db, now) if u.clears] == ["birang"]
