"""The chaos booths' events: what each booth promised, what the edge received, the verdict.

Per enrollment a chaos booth records three events through its real outbox and uplink,
as a booth does for a resident: the **check-in**, the **ticket call** before capture,
and the **card delivery** (penyerahan) after the packet is committed. Their ids are
derived from the run's seed, the booth and the serial (:func:`chaos_event_id`), so a
booth restarted after a SIGKILL sends an event it may already have sent under the same
id, and the checker knows every id it must find without trusting any booth's memory.

The **event journal** (``events.jsonl`` beside the packet journal) lists the events a
booth kept (appended only after ``send_event`` returned); the restarted booth uses it
to send only what it had not kept yet.

The verdict, per event of every committed enrollment:

* **lost** — not on the edge's record of received events (``booth_events``);
* **duplicated** — counted more than once by the edge: a resident with more than one
  queue ticket from the booth (each chaos resident checks in once; the edge's record
  of events is keyed by id, so a re-sent id cannot count twice there);
* **unexpected** — received by the edge under an id no chaos enrollment has, or with
  another kind than the one sent.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from demo.chaos.evidence import JsonLinesJournal, read_json_lines
from demo.chaos.findings import Findings

EVENTS_JOURNAL_NAME = "events.jsonl"
EVENT_KINDS = ("check_in", "ticket_called", "card_delivered")
_NAMESPACE = uuid.UUID("5f0c7c52-4a3e-4d7e-9a53-6f1d2b3c4e5a")


def chaos_event_id(seed: int, booth_id: str, serial: int, kind: str) -> uuid.UUID:
    """The one id this event has in this run, whichever process sends it."""
    return uuid.uuid5(_NAMESPACE, f"{seed}/{booth_id}/{serial}/{kind}")


@dataclass(frozen=True)
class KeptEvent:
    serial: int
    kind: str
    event_id: str


class EventJournal(JsonLinesJournal):
    """The events a booth kept (see the module docstring)."""

    def entries(self) -> list[KeptEvent]:
        return read_event_journal(self.path)

    def append(self, entry: KeptEvent) -> None:
        self.append_line({"serial": entry.serial, "kind": entry.kind, "event_id": entry.event_id})


def read_event_journal(path: Path) -> list[KeptEvent]:
    return [
        KeptEvent(int(str(item["serial"])), str(item["kind"]), str(item["event_id"]))
        for item in read_json_lines(path)
    ]


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute("PRAGMA query_only = ON")
    return conn


def messages_waiting(outbox: Path) -> int:
    """Events a booth's outbox still holds for the broker (0 before it exists)."""
    if not outbox.exists():
        return 0
    conn = _read_only(outbox)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM sendables").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # created, not yet migrated
    finally:
        conn.close()


@dataclass(frozen=True)
class EdgeEvents:
    received: dict[str, tuple[str, str]]
    """Event id → (booth id, kind), each id once."""
    tickets_per_resident: Counter[tuple[str, str]]
    """Queue tickets per (booth id, NIK)."""


def edge_events(edge_database: Path) -> EdgeEvents:
    if not edge_database.exists():
        return EdgeEvents({}, Counter())
    conn = _read_only(edge_database)
    try:
        try:
            rows = conn.execute("SELECT event_id, booth_id, kind FROM booth_events").fetchall()
            tickets = conn.execute(  # a check-in answered with the ticket it holds counts too
                "SELECT from_booth, nik FROM queue_tickets UNION ALL"
                " SELECT t.from_booth, t.nik FROM queue_refusals r JOIN queue_tickets t"
                " ON t.day = r.day AND t.number = r.existing_number"
                " WHERE r.code = 'check_in.already_waiting'"
            ).fetchall()
        except sqlite3.OperationalError:
            return EdgeEvents({}, Counter())
    finally:
        conn.close()
    return EdgeEvents(
        {str(event_id): (str(booth), str(kind)) for event_id, booth, kind in rows},
        Counter((str(booth), str(nik)) for booth, nik in tickets),
    )


@dataclass
class EventVerdict(Findings):
    expected: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unexpected == 0


def expected_events(seed: int, enrollments: set[tuple[str, int]]) -> dict[str, tuple[str, str]]:
    """Event id → (booth id, kind) for every event of these (booth, serial) enrollments."""
    return {
        str(chaos_event_id(seed, booth_id, serial, kind)): (booth_id, kind)
        for booth_id, serial in enrollments
        for kind in EVENT_KINDS
    }


def missing_at_edge(seed: int, enrollments: set[tuple[str, int]], edge_database: Path) -> int:
    """How many events of these enrollments the edge has not received yet."""
    return len(expected_events(seed, enrollments).keys() - edge_events(edge_database).received)


def check_events(
    seed: int, enrollments: set[tuple[str, int]], edge_database: Path, *, max_listed: int = 20
) -> EventVerdict:
    """Every event of every committed enrollment at the edge, exactly once (see module)."""
    verdict = EventVerdict(max_listed=max_listed)
    expected = expected_events(seed, enrollments)
    at_edge = edge_events(edge_database)
    booths = {booth_id for booth_id, _ in enrollments}
    verdict.expected = len(expected)
    verdict.received = len(expected.keys() & at_edge.received.keys())

    for event_id, (booth_id, kind) in expected.items():
        if event_id not in at_edge.received:
            verdict.lost += 1
            verdict.note(f"{booth_id}: {kind} {event_id} never reached the edge")
    for event_id, (booth_id, kind) in at_edge.received.items():
        if booth_id in booths and expected.get(event_id) != (booth_id, kind):
            verdict.unexpected += 1
            verdict.note(f"edge: {kind} {event_id} from {booth_id} matches no enrollment")
    for (booth_id, _nik), copies in at_edge.tickets_per_resident.items():
        if booth_id in booths and copies > 1:
            verdict.duplicated += copies - 1
            verdict.note(f"edge: a resident of {booth_id} has {copies} queue tickets")
    return verdict
