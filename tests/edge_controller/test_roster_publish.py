"""The edge publishes one retained roster digest per village and keeps it current.

Real mosquitto with TLS and the ACL; the booths' view is a fresh subscriber (paho, and
Debian's own ``mosquitto_sub``) that connects after the fact and gets the retained copy,
and the retained ring of deltas that brings it to the current version.
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
from edge_controller.roster.secret import office_roster_secret
from edge_controller.roster.store import import_roster, record_enrollment
from ektp.messages import RosterDelta, RosterDigest, parse_message
from ektp.mqtt.message import ReceivedMessage
from ektp.resident import mask_name
from ektp.roster_keys import KdfCost, RosterSecret
from ektp.topics import Topic, parse_topic, roster_topic
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
    """Per digest topic, the newest digest with the deltas that follow on it applied
    (None: the retained copy was cleared): what a booth holds."""
    latest: dict[str, RosterDigest | None] = {}
    deltas: dict[str, dict[int, RosterDelta]] = {}
    for message in messages:
        where = parse_topic(message.topic)
        topic = roster_topic(str(where.kelurahan))
        if not message.payload:
            if where.kind is Topic.ROSTER:
                latest[topic] = None
            continue
        parsed = parse_message(message.topic, message.payload)
        if isinstance(parsed, RosterDelta):
            deltas.setdefault(topic, {})[parsed.base_version] = parsed
            continue
        assert isinstance(parsed, RosterDigest)
        held = latest.get(topic)
        if held is None or parsed.version > held.version:
            latest[topic] = parsed
    for topic, full in latest.items():
        held = full
        while held is not None and (delta := deltas.get(topic, {}).get(held.version)):
            entries = {k: e for k, e in held.entries.items() if k not in delta.removed}
            entries.update(delta.changed)
            held = held.model_copy(update={"version": delta.version, "entries": entries})
        latest[topic] = held
    return latest


def subscribe_fresh(office: Office, booth_id: str) -> Inbox:
    inbox = Inbox()
    client = office.client(booth_id)
    client.subscribe("office/roster/+", inbox)
    client.subscribe("office/roster/+/delta/+", inbox)
    return inbox


def office_secret(edge: RunningEdge) -> RosterSecret:
    """The office roster secret (what a registered booth opens from office/roster_keys)."""
    conn = edge.db()
    try:
        return office_roster_secret(conn)
    finally:
        conn.close()


def entry_of(digest: RosterDigest | None, nik: str, secret: RosterSecret):
    assert digest is not None
    assert digest.secret_id == secret.secret_id
    return digest.entries.get(secret.resident_keys(nik).lookup_key)


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
    secret = office_secret(edge)
    entry = entry_of(tasuk, person.nik, secret)
    assert entry is not None
    assert entry.masked_name == mask_name(person.name)
    assert entry.kk_key == secret.resident_keys(person.nik).kk_key(person.kk)
    assert (entry.recorded_on, entry.card_status) == (None, "not_recorded")
    # no plain NIK, KK, full name or RT/RW travels to the booths
    text = received["office/roster/tasuk"]
    assert person.nik not in text
    assert person.kk not in text
    assert person.name not in text
    assert '"rt"' not in text
    guess = RosterSecret.generate(secret.cost)  # without the office's secret: no key fits
    assert guess.resident_keys(person.nik).lookup_key not in tasuk.entries


def test_a_reimport_and_a_recording_update_the_digest(
    office: Office, edge: RunningEdge, residents, tmp_path: Path
) -> None:
    inbox = subscribe_fresh(office, "booth-02")
    assert wait_for(lambda: len(digests(inbox.messages)) == 2, timeout=30)
    person = next(r for r in residents if r.kelurahan == "Tasuk")
    secret = office_secret(edge)
    before = entry_of(digests(inbox.messages)["office/roster/tasuk"], person.nik, secret)
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

    def masked_now(seen: Inbox) -> str | None:
        found = entry_of(digests(seen.messages).get("office/roster/tasuk"), person.nik, secret)
        return found.masked_name if found else None

    assert wait_for(lambda: masked_now(inbox) == mask_name(NEW_NAME), timeout=30)
    assert any("/delta/" in m.topic for m in inbox.messages)  # one entry: a delta, not all
    late = subscribe_fresh(office, "booth-04")  # the retained digest, then the delta ring
    assert wait_for(lambda: len(digests(late.messages)) == 2, timeout=30)
    assert wait_for(lambda: masked_now(late) == mask_name(NEW_NAME), timeout=30)
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
        found = entry_of(digests(inbox.messages)["office/roster/tasuk"], person.nik, secret)
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
    office_roster_secret(edge_db, cost=KdfCost(log2_n=2, r=1))  # the size, not the cost

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
