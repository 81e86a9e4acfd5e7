"""The chaos checker finds every kind of damage, so its zeros after a storm mean something.

Each test builds a small run with real sealed packets in real outboxes (2 booths, 4
enrollments), delivers it to a hand-made central store, doctors one thing, and checks
that exactly that shows up as lost, duplicated or corrupted.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from chaos_fixtures import MiniRun, Sealed

from demo.chaos.booth_worker import reconcile
from demo.chaos.enrollments import enrollment_parts
from demo.chaos.evidence import Journal, JournalEntry, read_journal


@pytest.fixture
def run(tmp_path: Path) -> MiniRun:
    return MiniRun(tmp_path)


def deliver_all(run: MiniRun) -> list[Sealed]:
    packets = [run.enroll(booth, serial) for booth in run.booth_ids for serial in (1, 2)]
    for packet in packets:
        run.store_at_central(packet)
    return packets


def counts(run: MiniRun) -> tuple[int, int, int]:
    verdict = run.check()
    return verdict.lost, verdict.duplicated, verdict.corrupted


def only_corruption_of(run: MiniRun, packet: Sealed) -> str:
    """Stores ``packet`` at central, checks it is the one corrupted packet, returns why."""
    run.store_at_central(packet)
    verdict = run.check()
    assert (verdict.lost, verdict.duplicated, verdict.corrupted) == (0, 0, 1)
    return verdict.problems[0]


def test_a_complete_delivery_is_clean(run: MiniRun) -> None:
    deliver_all(run)
    verdict = run.check()
    assert (verdict.enrollments, verdict.committed_packets, verdict.stored_at_central) == (4, 4, 4)
    assert (verdict.lost, verdict.duplicated, verdict.corrupted) == (0, 0, 0)
    assert verdict.problems == []


def test_a_packet_central_never_stored_is_lost(run: MiniRun) -> None:
    packets = deliver_all(run)
    run.central_sql("DELETE FROM packets WHERE packet_id = ?", packets[1].packet_id)
    assert counts(run) == (1, 0, 0)
    assert packets[1].packet_id in run.check().problems[0]


def test_a_stored_row_whose_file_is_gone_is_lost(run: MiniRun) -> None:
    packets = deliver_all(run)
    next((run.central_data / "packets").glob(f"*/{packets[2].packet_id}.packet")).unlink()
    assert counts(run) == (1, 0, 0)


def test_a_committed_packet_only_the_outbox_knows_is_still_checked(run: MiniRun) -> None:
    deliver_all(run)
    run.commit(run.seal("booth-02", 3), journal=False)  # killed before the journal line
    verdict = run.check()
    assert verdict.enrollments == 5
    assert (verdict.lost, verdict.duplicated, verdict.corrupted) == (1, 0, 0)


def test_a_journaled_packet_the_outbox_lost_is_lost(run: MiniRun) -> None:
    packets = deliver_all(run)
    run.central_sql("DELETE FROM packets WHERE packet_id = ?", packets[0].packet_id)
    run.outbox_sql("booth-01", "DELETE FROM packets WHERE packet_id = ?", packets[0].packet_id)
    verdict = run.check()
    assert (verdict.lost, verdict.duplicated, verdict.corrupted) == (1, 0, 0)
    assert "not in the outbox" in verdict.problems[0]


def test_an_enrollment_sealed_again_under_a_new_id_is_duplicated(run: MiniRun) -> None:
    deliver_all(run)
    again = run.enroll("booth-01", 2)  # the same resident, a second packet id
    run.store_at_central(again)
    verdict = run.check()
    assert verdict.enrollments == 4
    assert (verdict.lost, verdict.duplicated, verdict.corrupted) == (0, 1, 0)


def test_a_packet_stored_in_two_places_is_duplicated(run: MiniRun) -> None:
    packets = deliver_all(run)
    run.store_at_central(packets[3], folder="enrollment")  # a second file, same id
    assert counts(run) == (0, 1, 0)


def test_changed_bytes_at_central_are_corrupted(run: MiniRun) -> None:
    packets = deliver_all(run)
    path = next((run.central_data / "packets").glob(f"*/{packets[0].packet_id}.packet"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert counts(run) == (0, 0, 1)


def test_a_packet_that_fails_verification_is_corrupted(run: MiniRun) -> None:
    deliver_all(run)
    # booth-01 committed it and central holds exactly those bytes, but booth-02's key
    # signed them: the booth's own key does not verify it
    foreign = run.seal("booth-02", 3)
    packet = run.commit(Sealed("booth-01", 3, foreign.packet_id, foreign.data))
    assert "fails verification" in only_corruption_of(run, packet)


def test_a_packet_holding_other_content_is_corrupted(run: MiniRun) -> None:
    deliver_all(run)
    parts = enrollment_parts(99, "booth-02", 3)  # well sealed, but not this enrollment's
    packet = run.commit(run.seal("booth-02", 3, parts))
    assert "content" in only_corruption_of(run, packet)


def test_a_packet_no_booth_committed_is_corrupted(run: MiniRun) -> None:
    deliver_all(run)
    run.store_at_central(run.seal("booth-01", 7))  # sealed, never committed anywhere
    assert counts(run) == (0, 0, 1)


def test_a_restarted_booth_journals_what_its_outbox_holds(run: MiniRun) -> None:
    """Killed after the outbox commit, in the middle of the journal line."""
    first = run.enroll("booth-01", 1)
    second = run.commit(run.seal("booth-01", 2), journal=False)
    booth = run.booth("booth-01")
    with booth.journal.open("ab") as handle:
        handle.write(b'{"serial":2,"packet_id":"' + second.packet_id[:10].encode())

    journal = Journal(booth.journal)
    done = reconcile(journal, booth.outbox)

    assert done == {1, 2}
    assert read_journal(booth.journal) == [
        JournalEntry(1, first.packet_id, hashlib.sha256(first.data).hexdigest()),
        JournalEntry(2, second.packet_id, hashlib.sha256(second.data).hexdigest(), True),
    ]
