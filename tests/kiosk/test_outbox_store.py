"""The outbox keeps sealed packets until central has them, and only moves them forwards."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from outbox_fixtures import SettableClock, integrity_check, sample_packet

from kiosk.outbox.store import (
    SCHEMA_VERSION,
    InvalidTransition,
    Outbox,
    OutboxError,
    PacketConflict,
    PacketState,
    UnknownPacket,
)


@pytest.fixture
def clock():
    return SettableClock()


@pytest.fixture
def rng():
    return random.Random(1234)


@pytest.fixture
def outbox(tmp_path, clock):
    box = Outbox(tmp_path / "outbox.sqlite3", clock=clock)
    yield box
    box.close()


def test_committed_packet_reads_back_after_reopen(tmp_path, clock, rng):
    packet_id, blob, meta = sample_packet(rng)
    with Outbox(tmp_path / "o.db", clock=clock) as box:
        box.commit(packet_id, blob, meta)
    with Outbox(tmp_path / "o.db", clock=clock) as box:
        record = box.get(packet_id)
        assert record is not None
        assert record.sealed == blob
        assert record.meta == meta
        assert record.state is PacketState.SEALED
        assert record.created_at == clock.now
        assert record.attempts == 0
        assert box.depth() == 1


def test_database_is_wal_full_sync_with_schema_version(tmp_path):
    with Outbox(tmp_path / "o.db"):
        conn = sqlite3.connect(tmp_path / "o.db")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()


def test_newer_schema_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "o.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(OutboxError) as info:
        Outbox(tmp_path / "o.db")
    assert info.value.code == "outbox_schema"


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    (tmp_path / "o.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError) as info:
        Outbox(tmp_path / "o.db")
    assert info.value.code == "outbox_open"


def test_commit_is_idempotent_for_the_same_bytes(outbox, rng):
    packet_id, blob, meta = sample_packet(rng)
    outbox.commit(packet_id, blob, meta)
    outbox.commit(packet_id, blob, meta)
    assert outbox.counts()[PacketState.SEALED] == 1


def test_other_bytes_under_a_known_id_are_refused_and_the_first_kept(outbox, rng):
    packet_id, blob, meta = sample_packet(rng)
    outbox.commit(packet_id, blob, meta)
    with pytest.raises(PacketConflict):
        outbox.commit(packet_id, blob + b"x", meta)
    record = outbox.get(packet_id)
    assert record is not None
    assert record.sealed == blob


@pytest.mark.parametrize(
    "meta",
    [
        {"fingerprint": b"\x01\x02raw-template"},  # bytes have no place outside the seal
        {"note": "x" * 5000},
        {"ratio": float("nan")},
    ],
)
def test_metadata_must_be_small_plain_json(outbox, rng, meta):
    packet_id, blob, _ = sample_packet(rng)
    with pytest.raises(OutboxError) as info:
        outbox.commit(packet_id, blob, meta)
    assert info.value.code == "outbox_meta"
    assert outbox.get(packet_id) is None


@pytest.mark.parametrize("packet_id", ["", " padded", "x" * 200, "line\nbreak"])
def test_bad_packet_ids_are_refused(outbox, packet_id):
    with pytest.raises(OutboxError):
        outbox.commit(packet_id, b"sealed", {})
    assert sum(outbox.counts().values()) == 0


def test_empty_sealed_bytes_are_refused(outbox):
    with pytest.raises(OutboxError):
        outbox.commit("p1", b"", {})


def test_states_move_forwards_with_timestamps_and_attempts(outbox, clock, rng):
    packet_id, blob, meta = sample_packet(rng)
    outbox.commit(packet_id, blob, meta)
    clock.advance(5)
    outbox.mark_sent(packet_id)
    clock.advance(5)
    outbox.mark_sent(packet_id)  # re-sent after a reconnect
    record = outbox.get(packet_id)
    assert record is not None
    assert (record.state, record.attempts, record.sent_at) == (PacketState.SENT, 2, clock.now)

    clock.advance(1)
    report = outbox.mark_acked([packet_id])
    assert report.changed == (packet_id,)
    assert outbox.depth() == 0
    clock.advance(60)
    outbox.mark_forwarded([packet_id])
    record = outbox.get(packet_id)
    assert record is not None
    assert record.state is PacketState.FORWARDED
    assert record.acked_at == record.forwarded_at - 60
    assert record.sealed == blob


def test_an_acked_packet_cannot_be_sent_again(outbox, rng):
    packet_id, blob, meta = sample_packet(rng)
    outbox.commit(packet_id, blob, meta)
    outbox.mark_acked([packet_id])
    with pytest.raises(InvalidTransition):
        outbox.mark_sent(packet_id)
    record = outbox.get(packet_id)
    assert record is not None
    assert record.state is PacketState.ACKED


def test_duplicate_and_unknown_acks_change_nothing(outbox, rng):
    first, blob1, meta1 = sample_packet(rng)
    second, blob2, meta2 = sample_packet(rng)
    outbox.commit(first, blob1, meta1)
    outbox.commit(second, blob2, meta2)
    outbox.mark_forwarded([first])
    report = outbox.mark_acked([first, second, "never-stored", second])
    assert report.changed == (second,)
    assert report.already == (first,)
    assert report.unknown == ("never-stored",)
    record = outbox.get(first)
    assert record is not None
    assert record.state is PacketState.FORWARDED  # a late ack does not move it back


def test_sending_an_unknown_packet_raises(outbox):
    with pytest.raises(UnknownPacket):
        outbox.mark_sent("nope")


def test_forwarded_implies_acked(outbox, clock, rng):
    packet_id, blob, meta = sample_packet(rng)
    outbox.commit(packet_id, blob, meta)
    outbox.mark_forwarded([packet_id])
    record = outbox.get(packet_id)
    assert record is not None
    assert record.state is PacketState.FORWARDED
    assert record.acked_at == clock.now


def test_unacked_lists_oldest_first_with_bytes(outbox, clock, rng):
    packets = []
    for _ in range(5):
        packets.append(sample_packet(rng, size=2000))
        packet_id, blob, meta = packets[-1]
        outbox.commit(packet_id, blob, meta)
        clock.advance(1)
    outbox.mark_sent(packets[1][0])
    outbox.mark_acked([packets[2][0]])
    pending = list(outbox.unacked())
    assert [r.packet_id for r in pending] == [packets[i][0] for i in (0, 1, 3, 4)]
    assert [r.sealed for r in pending] == [packets[i][1] for i in (0, 1, 3, 4)]
    assert outbox.depth() == 4


def test_a_packet_acked_during_resend_is_not_resent(outbox, rng):
    first, blob1, meta1 = sample_packet(rng)
    second, blob2, meta2 = sample_packet(rng)
    outbox.commit(first, blob1, meta1)
    outbox.commit(second, blob2, meta2)
    pending = outbox.unacked()
    assert next(pending).packet_id == first
    outbox.mark_acked([second])  # the ack arrives on the MQTT thread meanwhile
    assert list(pending) == []


def test_purge_only_after_forwarded_and_retention(outbox, clock, rng):
    retention = timedelta(days=30)
    forwarded, blob, meta = sample_packet(rng)
    acked_only, blob2, meta2 = sample_packet(rng)
    outbox.commit(forwarded, blob, meta)
    outbox.commit(acked_only, blob2, meta2)
    outbox.mark_acked([forwarded, acked_only])
    outbox.mark_forwarded([forwarded])

    assert outbox.purge(clock.now + retention.total_seconds() - 1, retention) == 0
    assert outbox.purge(clock.now + retention.total_seconds() * 10, retention) == 1

    tombstone = outbox.get(forwarded)
    assert tombstone is not None
    assert tombstone.state is PacketState.PURGED
    assert tombstone.sealed is None
    assert (tombstone.meta, tombstone.size) == (meta, len(blob))
    kept = outbox.get(acked_only)
    assert kept is not None
    assert kept.sealed == blob2  # not forwarded yet: never purged, however old
    assert outbox.counts()[PacketState.PURGED] == 1

    outbox.commit(forwarded, blob, meta)  # a late duplicate commit stays a no-op
    with pytest.raises(PacketConflict):
        outbox.commit(forwarded, blob + b"!", meta)
    record = outbox.get(forwarded)
    assert record is not None
    assert record.state is PacketState.PURGED


def test_commits_survive_a_process_killed_without_closing(tmp_path, rng):
    db = tmp_path / "o.db"
    script = (
        "import os, signal, sys\n"
        "from kiosk.outbox.store import Outbox\n"
        "box = Outbox(sys.argv[1])\n"
        "for i in range(3):\n"
        "    box.commit(f'packet-{i}', bytes([i]) * 5000, {'i': i})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(db)], capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert integrity_check(db) == "ok"
    with Outbox(db) as box:
        pending = list(box.unacked())
    assert [r.packet_id for r in pending] == ["packet-0", "packet-1", "packet-2"]
    assert [r.sealed for r in pending] == [bytes([i]) * 5000 for i in range(3)]


def test_capture_thread_and_mqtt_thread_share_one_outbox(outbox, rng):
    packets = [sample_packet(rng, size=3000) for _ in range(60)]
    errors: list[BaseException] = []
    done = threading.Event()

    def capture() -> None:
        try:
            for packet_id, blob, meta in packets:
                outbox.commit(packet_id, blob, meta)
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)
        finally:
            done.set()

    def acker() -> None:
        try:
            while True:
                finished = done.is_set()
                ids = [r.packet_id for r in outbox.unacked()]
                if ids:
                    outbox.mark_acked(ids)
                if finished and not ids:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=capture), threading.Thread(target=acker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert outbox.counts()[PacketState.ACKED] == len(packets)
    assert outbox.depth() == 0


def test_a_closed_outbox_refuses_work_and_close_is_idempotent(tmp_path, rng):
    box = Outbox(tmp_path / "o.db")
    box.close()
    box.close()
    packet_id, blob, meta = sample_packet(rng)
    with pytest.raises(OutboxError):
        box.commit(packet_id, blob, meta)


def test_purging_gives_the_disk_space_back(tmp_path, clock, rng):
    db = tmp_path / "o.db"
    with Outbox(db, clock=clock) as box:
        ids = []
        for _ in range(20):
            packet_id, blob, meta = sample_packet(rng, size=100 * 1024)
            box.commit(packet_id, blob, meta)
            ids.append(packet_id)
        box.mark_forwarded(ids)
    full_size = db.stat().st_size
    with Outbox(db, clock=clock) as box:
        assert box.purge(clock.now + 86400 * 31, timedelta(days=30)) == 20
    assert db.stat().st_size < full_size / 10
    assert integrity_check(db) == "ok"
