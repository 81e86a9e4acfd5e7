"""A rejected record is not a recording: coverage and the roster forget it, a survivor counts.

Packets go through the real ingest (signature check, commit, hold); decisions through
:func:`edge_controller.review.holds.decide` as the dashboard calls it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from edge_controller.ingest.checks import Incoming, check_packet, commit_checked
from edge_controller.ingest.db import connect
from edge_controller.review.holds import decide
from edge_controller.roster.store import roster_digest
from edge_controller.upstream.store import purge_forwarded
from ektp.packet import SealedPacket, seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART
from ektp.record import ReviewFlag
from tests.edge_controller.ingest_fixtures import make_record
from tests.edge_controller.upstream.upstream_fixtures import BOOTH, WITA, Pki, make_pki

NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "edge.sqlite3"


def _packet(pki: Pki, minute: int, *flags: ReviewFlag) -> SealedPacket:
    started = dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA) + dt.timedelta(minutes=minute)
    record = make_record(
        BOOTH,
        serial=1,  # the same resident every time
        flags=flags,
        capture_started_at=started,
        captured_at=started + dt.timedelta(minutes=3),
    )
    return seal(
        record,
        {PHOTO_PART: os.urandom(2000), SIGNATURE_PART: os.urandom(300)},
        booth_id=BOOTH,
        booth_signing_key=pki.booth_key,
        central_public_key=pki.central_sealing_key.public_key(),
    )


def _ingest(db: Path, pki: Pki, packet: SealedPacket, minute: int) -> None:
    checked = check_packet(
        Incoming(BOOTH, packet.data, NOW + dt.timedelta(minutes=minute)),
        pki.booth_key.public_key(),
        max_size=8 * 1024 * 1024,
    )
    conn = connect(db)
    try:
        (result,) = commit_checked(conn, [checked], WITA)
    finally:
        conn.close()
    assert result.outcome == "committed"


def _ingested(db: Path, pki: Pki, captured: int, received: int, *flags: ReviewFlag) -> SealedPacket:
    """The resident's packet, captured ``captured`` minutes after 09:00 WITA, through the
    real ingest ``received`` minutes after NOW."""
    packet = _packet(pki, captured, *flags)
    _ingest(db, pki, packet, received)
    return packet


def _recording(db: Path) -> tuple[str, str] | None:
    conn = connect(db)
    try:
        row = conn.execute("SELECT packet_id, recorded_at FROM recordings").fetchone()
        return (row[0], row[1]) if row else None
    finally:
        conn.close()


def _reject(db: Path, packet: SealedPacket) -> None:
    conn = connect(db)
    try:
        decide(
            conn, str(packet.packet_id), "rejected", user="camat", comment="salah orang", now=NOW
        )
    finally:
        conn.close()


def test_a_rejected_record_no_longer_counts_and_the_resident_may_come_again(
    db: Path, pki: Pki
) -> None:
    _on_roster(db)
    first = _ingested(db, pki, 0, 0, ReviewFlag.PHOTO_OVERRIDE)
    assert _recording(db) is not None  # counted at once, held for review
    assert _roster_says(db) == (dt.date(2026, 3, 10), "recorded")

    _reject(db, first)

    assert _recording(db) is None
    assert _roster_says(db) == (None, "not_recorded")  # the booth lets the resident in again


def _on_roster(db: Path) -> None:
    record = make_record(BOOTH, serial=1)  # the resident of every packet here
    conn = connect(db)
    try:
        conn.execute(
            "INSERT INTO residents (nik, kk, name, sex, birth_date, kelurahan, rt, rw, married,"
            " card_status) VALUES (?, ?, 'Siti Aminah', 'female', '1990-02-14', 'Sambakungan',"
            " 1, 1, 0, 'not_recorded')",
            (str(record.nik), str(record.kk)),
        )
    finally:
        conn.close()


def _roster_says(db: Path) -> tuple[dt.date | None, str]:
    conn = connect(db)
    try:
        (entry,) = roster_digest(conn, "Sambakungan").entries
        return entry.recorded_on, entry.card_status.value
    finally:
        conn.close()


def test_rejecting_the_first_of_two_recordings_lets_the_second_count(db: Path, pki: Pki) -> None:
    first = _ingested(db, pki, 0, 0, ReviewFlag.PHOTO_OVERRIDE)
    second = _ingested(db, pki, 30, 35)  # held by the edge itself: already_recorded
    assert _recording(db) == (str(first.packet_id), "2026-03-10T09:03:00+08:00")

    _reject(db, first)

    # the second recording, on its own capture time in office time
    assert _recording(db) == (str(second.packet_id), "2026-03-10T09:33:00+08:00")


def test_rejecting_a_second_recording_keeps_the_first(db: Path, pki: Pki) -> None:
    first = _ingested(db, pki, 0, 0)
    second = _ingested(db, pki, 30, 35)

    _reject(db, second)

    assert _recording(db) == (str(first.packet_id), "2026-03-10T09:03:00+08:00")


def test_a_rejected_records_sealed_bytes_are_purged_after_the_retention(db: Path, pki: Pki) -> None:
    rejected = _ingested(db, pki, 0, 0, ReviewFlag.PHOTO_OVERRIDE)
    waiting = _ingested(db, pki, 10, 10, ReviewFlag.PHOTO_OVERRIDE)
    _reject(db, rejected)
    conn = connect(db)
    try:
        assert purge_forwarded(conn, NOW - dt.timedelta(days=1)) == 0  # not yet
        assert purge_forwarded(conn, NOW + dt.timedelta(seconds=1)) == 1
        rows = dict(conn.execute("SELECT packet_id, length(data) FROM ingested_packets"))
        assert rows[str(rejected.packet_id)] == 0
        assert rows[str(waiting.packet_id)] > 0  # still waiting for a supervisor: kept
        state = conn.execute(
            "SELECT state FROM reviews WHERE packet_id = ?", (str(rejected.packet_id),)
        ).fetchone()[0]
        assert state == "rejected"  # the decision stays on record
    finally:
        conn.close()
