"""What the flows need from the rest of the booth, as small protocols and records.

The booth wires real implementations (roster from the edge, the edge queue, the
audit log); tests pass in-memory ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class RosterEntry:
    """A resident as the office roster knows them."""

    nik: str
    kk: str
    name: str
    kelurahan: str
    rt: str = ""
    rw: str = ""
    recorded_on: date | None = None
    card_status: str | None = None

    def kk_matches(self, kk: str) -> bool:
        """Is ``kk`` (16 digits) the family card on record? (A digest entry compares keys.)"""
        return self.kk == kk


class Roster(Protocol):
    def find(self, nik: str) -> RosterEntry | None:
        """The roster entry for this NIK, or None when the office does not know it."""
        ...


@dataclass(frozen=True)
class CheckIn:
    """What a resident told the booth: the ticket's content."""

    service: str
    nik: str
    kk: str
    name: str
    kelurahan: str
    in_roster: bool
    documents: tuple[str, ...]
    language: str = "id"
    priority: bool = False


@dataclass(frozen=True)
class Ticket:
    number: str
    checkin: CheckIn
    issued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    estimated_wait_minutes: int | None = None


class TicketDesk(Protocol):
    def issue(self, checkin: CheckIn) -> Ticket:
        """Put a check-in on the office queue and return its ticket."""
        ...

    def call_next(self, booth_id: str) -> Ticket | None:
        """The next waiting ticket, now called to this booth; None when nobody waits."""
        ...


class AuditSink(Protocol):
    def append(self, event: str, **fields: Any) -> object: ...


Clock = Callable[[], float]
"""Monotonic seconds, for idle timeouts (``time.monotonic`` in production)."""

monotonic: Clock = time.monotonic


class InMemoryTicketDesk:
    """A local queue: the booth's own numbering when it runs away from the edge."""

    def __init__(self, prefix: str = "A") -> None:
        self._prefix = prefix
        self._counter = 0
        self._waiting: list[Ticket] = []

    def issue(self, checkin: CheckIn) -> Ticket:
        self._counter += 1
        ticket = Ticket(number=f"{self._prefix}-{self._counter:03d}", checkin=checkin)
        if checkin.priority:
            first_normal = next(
                (i for i, t in enumerate(self._waiting) if not t.checkin.priority),
                len(self._waiting),
            )
            self._waiting.insert(first_normal, ticket)
        else:
            self._waiting.append(ticket)
        return ticket

    def call_next(self, booth_id: str) -> Ticket | None:
        return self._waiting.pop(0) if self._waiting else None

    @property
    def waiting(self) -> int:
        return len(self._waiting)


class InMemoryRoster:
    def __init__(self, entries: list[RosterEntry] | None = None) -> None:
        self._by_nik = {e.nik: e for e in entries or []}

    def find(self, nik: str) -> RosterEntry | None:
        return self._by_nik.get(nik)

    def add(self, entry: RosterEntry) -> None:
        self._by_nik[entry.nik] = entry
