"""Helpers for the mobile-duty tests: a booth clock the test moves, and one resident's day;
the roster a booth carries away, the booth allowed to leave, its ``mobile`` command line.

A resident goes through the booth's real check-in flow (against the roster it carries)
and its mobile ticket desk, is called, and their record is sealed by the booth's real
sealer and committed to its outbox — the capture devices are left out (the capture flow
is tested on its own; at ~1 s a resident it would take minutes for a week).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demo.roster import SyntheticResident
from edge_controller.ingest.db import connect
from edge_controller.roster.publisher import RosterUpdate, pending_updates
from edge_controller.roster.secret import (
    office_roster_secret,
    registered_booth_keys,
    roster_keys_message,
)
from ektp.messages import encode_message
from ektp.record import FINGER_ORDER, EnrollmentRecord, FingerCapture, QualityScores
from ektp.services import Document, ServiceType
from kiosk.booth import Booth
from kiosk.flow.checkin import CheckInStep
from kiosk.flow.ports import CheckIn
from kiosk.keys import load_central_public_key, load_or_create_signing_key
from kiosk.sealing import PacketSealer
from tests.cli_run import run_module
from tests.edge_controller.broker_fixtures import Office
from tests.edge_controller.ingest_fixtures import make_biometrics
from tests.kiosk.booth_fixtures import BoothSetup, write_booth_config

SEALED_PHOTO_BYTES = 40_000
"""A ~60 KB sealed packet, as a real photo, ten templates and a signature make."""


class BoothClock:
    """The booth's wall clock (aware, office time) that the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass(frozen=True)
class Recorded:
    """What the booth did for one resident, as the edge should learn it."""

    nik: str
    kelurahan: str
    day: dt.date
    ticket: str
    packet_id: str


def carry_edge_roster(db_path: Path, data_dir: Path, received: dt.datetime) -> None:
    """Put the edge's digests where the booth keeps them, as received at ``received``,
    with the office roster key sealed to the registered booths (as on office/roster_keys)."""
    conn = connect(db_path)
    try:
        updates = pending_updates(conn, received)
        write_office_keys(conn, data_dir, received)
    finally:
        conn.close()
    keep_roster_digests(data_dir, updates, received)


def keep_roster_digests(data_dir: Path, updates: list[RosterUpdate], received: dt.datetime) -> None:
    """The digests where the booth keeps them, each file dated ``received`` (the booth reads
    a copy's age from it)."""
    directory = data_dir / "roster"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = received.timestamp()
    for update in updates:
        path = directory / f"{update.slug}.json"
        path.write_bytes(update.payload)
        os.utime(path, (stamp, stamp))


def write_office_keys(conn: sqlite3.Connection, data_dir: Path, received: dt.datetime) -> None:
    """The retained office/roster_keys of this edge database, where a booth keeps it."""
    secret = office_roster_secret(conn)
    message = roster_keys_message(secret, registered_booth_keys(conn), received)
    directory = data_dir / "roster"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "office-keys.sealed").write_bytes(encode_message(message))


@pytest.fixture
def mobile_setup(office: Office, tmp_path: Path) -> BoothSetup:
    """Booth ``booth-01`` of the office, allowed on mobile duty with 1 MB free."""
    return write_booth_config(
        tmp_path / "booth",
        extra=(
            office.booth_toml("booth-01", ack_timeout_seconds=5.0, reconnect_max_delay_seconds=2)
            + "[mobile]\n"
            "min_free_disk_mb = 1\n"
        ),
    )


def mobile_cli(config_path: Path, *args: str) -> str:
    """What ``rekam-kiosk --config CONFIG mobile ARGS`` prints (it must succeed)."""
    done = run_module("kiosk.cli", "--config", str(config_path), "mobile", *args, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def walk_in(resident: SyntheticResident) -> CheckIn:
    """A check-in as the kiosk makes it for a resident the roster knows."""
    return CheckIn(
        service="new_recording",
        nik=resident.nik,
        kk=resident.kk,
        name=resident.name,
        kelurahan=resident.kelurahan,
        in_roster=True,
        documents=("kk",),
    )


def booth_sealer(booth: Booth) -> PacketSealer:
    """The sealer ``build_booth`` gives the capture flow, from the same key files."""
    config = booth.config
    return PacketSealer(
        booth_id=config.booth_id,
        signing_key=load_or_create_signing_key(config.signing_key_path),
        central_public_key=load_central_public_key(config.central_public_key_path),
    )


def record_resident(
    booth: Booth,
    sealer: PacketSealer,
    clock: BoothClock,
    resident: SyntheticResident,
    called_at: dt.datetime,
) -> Recorded:
    """Check in at the kiosk, get called, capture for six minutes, seal, commit."""
    clock.now = called_at - dt.timedelta(minutes=4)
    flow = booth.checkin
    flow.start("id")
    flow.choose_service("new_recording")
    flow.enter_nik(resident.nik)
    flow.enter_kk(resident.kk)
    assert flow.step is CheckInStep.CONFIRM, "the carried roster must know the resident"
    flow.confirm_name(True)
    issued = flow.accept_documents()
    flow.finish()

    clock.now = called_at
    ticket = booth.tickets.call_next(booth.config.booth_id)
    assert ticket is not None
    assert ticket.number == issued.number
    checkin = ticket.checkin
    record = EnrollmentRecord(
        nik=checkin.nik,
        kk=checkin.kk,
        name=checkin.name or "-",
        kelurahan=checkin.kelurahan or "-",
        service=ServiceType(checkin.service),
        operator_id="OP-0007",
        booth_id=booth.config.booth_id,
        ticket=ticket.number,
        documents_checked=tuple(Document(d) for d in checkin.documents),
        checked_in_at=ticket.issued_at,
        capture_started_at=called_at,
        captured_at=called_at + dt.timedelta(minutes=6),
        quality=QualityScores(
            fingers=tuple(FingerCapture(finger=f, quality=85) for f in FINGER_ORDER),
            signature_captured=True,
        ),
    )
    sealed = sealer.seal(record, make_biometrics(SEALED_PHOTO_BYTES))
    booth.outbox.commit(sealed.packet_id, sealed.data, sealed.outbox_meta)
    return Recorded(
        nik=checkin.nik,
        kelurahan=record.kelurahan,
        day=called_at.date(),
        ticket=ticket.number,
        packet_id=sealed.packet_id,
    )


def lose_acks(outbox_path: Path, every: int = 2) -> int:
    """As if the edge's acks of every ``every``-th packet never reached the booth."""
    conn = sqlite3.connect(outbox_path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        cursor = conn.execute(
            "UPDATE packets SET state = 'sent', acked_at = NULL"
            " WHERE state = 'acked' AND rowid % ? = 0",
            (every,),
        )
        return cursor.rowcount
    finally:
        conn.close()


def edge_tables(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the edge keeps about recordings and mobile duty, to compare snapshots."""
    conn = connect(db_path)
    try:
        rows = {
            "packets": conn.execute(
                "SELECT packet_id, booth_id, nik, kelurahan, sha256 FROM ingested_packets"
                " ORDER BY packet_id"
            ).fetchall(),
            "recordings": conn.execute(
                "SELECT nik, packet_id, recorded_at FROM recordings ORDER BY nik"
            ).fetchall(),
            "mobile_tickets": conn.execute(
                "SELECT request_id, day, number, kelurahan, called_at FROM mobile_tickets"
                " ORDER BY request_id"
            ).fetchall(),
            "mobile_events": conn.execute("SELECT event_id FROM mobile_events").fetchall(),
        }
        return {name: sorted(tuple(row) for row in table) for name, table in rows.items()}
    finally:
        conn.close()
