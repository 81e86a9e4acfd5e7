"""The recording schedule: which kelurahan comes on which days, and who is invited when.

Offices planned two days per village whatever its size (Gunung Tabur, March 2012:
3,940 residents in two days, when one kit recorded ~123 a day). This planner sizes each
village by its demand instead: the residents who must hold a KTP on the village's first
day and are not yet recorded. A village gets at least ``min_days_per_kelurahan``
working days, and enough that the share expected to come (``turnout_share``) fits the
kits' daily capacity — never more residents planned on a day than the kits can handle.

Invitations (surat undangan) go out per RT: a village's residents, in RW/RT order with
families (KK) kept together, are cut into one slice per day. Cuts fall on RT
boundaries when one is close to an even split; a large RT is split across days at a
family boundary (its letters say "part 1 of 2"). Every not-yet-recorded wajib-KTP
resident of a scheduled village is invited exactly once.

A resident who turns 17 during their village's days is left for the next round (the
coverage page lists them); everyone invited must hold a KTP on the day invited.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

from edge_controller.config.schedule import ScheduleConfig
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.capacity import measured_capacity
from edge_controller.roster.store import Resident, load_residents

RT_SNAP_TOLERANCE = 0.2
"""A cut moves to an RT boundary when that changes the day's size by at most 20%."""


@dataclass(frozen=True)
class ScheduleDay:
    """One working day for one kelurahan."""

    date: dt.date
    kelurahan: str
    planned_residents: int
    """Residents expected that day (invited × turnout share, rounded up), ≤ capacity."""
    capacity: int
    invited_residents: int
    day_number: int
    """1-based, within the kelurahan's days."""
    days_for_kelurahan: int
    over_capacity: bool = False
    """The residents expected (invited × turnout) exceed what the booths were measured
    to record in a day (only once enough days are measured, :mod:`~.capacity`)."""


@dataclass(frozen=True)
class Invitation:
    """One RT's invitation list (surat undangan) for one day."""

    date: dt.date
    kelurahan: str
    rw: int
    rt: int
    residents: tuple[Resident, ...]
    part: int = 1
    parts: int = 1
    """An RT too large for one day is invited over several days (part 1 of 2, ...)."""


@dataclass(frozen=True)
class SchedulePlan:
    start: dt.date
    config: ScheduleConfig
    capacity: int
    days: tuple[ScheduleDay, ...]
    invitations: tuple[Invitation, ...]
    measured: bool = False
    """``capacity`` is the measured one, not ``minutes_per_resident``'s."""

    def days_for(self, kelurahan: str) -> list[ScheduleDay]:
        return [day for day in self.days if day.kelurahan == kelurahan]

    def invitations_for(self, kelurahan: str, date: dt.date | None = None) -> list[Invitation]:
        return [
            invitation
            for invitation in self.invitations
            if invitation.kelurahan == kelurahan and (date is None or invitation.date == date)
        ]

    @property
    def kelurahan(self) -> list[str]:
        """The scheduled kelurahan in visiting order."""
        return list(dict.fromkeys(day.kelurahan for day in self.days))

    @property
    def end(self) -> dt.date | None:
        return self.days[-1].date if self.days else None


def plan_schedule(
    conn: sqlite3.Connection,
    *,
    start: dt.date,
    config: ScheduleConfig,
    calendar: WorkingCalendar,
) -> SchedulePlan:
    """Plan from the roster in the database, starting on the first working day ≥ ``start``;
    sized by the measured capacity of ``config.kits`` booths once enough days are measured."""
    measured = measured_capacity(conn, start).daily(config.kits)
    return plan_for_residents(
        load_residents(conn),
        start=start,
        config=config,
        calendar=calendar,
        measured_capacity=measured,
    )


def plan_for_residents(
    residents: Sequence[Resident],
    *,
    start: dt.date,
    config: ScheduleConfig,
    calendar: WorkingCalendar,
    measured_capacity: int | None = None,
) -> SchedulePlan:
    """Plan for these residents (pure: no database). ``measured_capacity`` (residents the
    kits were measured to record a day) replaces the configured one; a day expecting more
    is flagged."""
    measured = measured_capacity is not None and measured_capacity >= 1
    capacity = measured_capacity if measured_capacity and measured else config.daily_capacity
    limit = (
        math.floor(capacity / config.turnout_share + 1e-9)
        if measured
        else config.daily_invitation_limit
    )
    if capacity < 1:
        raise ValueError("the kits cannot record a single resident a day with this config")
    by_kelurahan: dict[str, list[Resident]] = {}
    for resident in residents:
        by_kelurahan.setdefault(resident.kelurahan, []).append(resident)
    order = _visiting_order(by_kelurahan, start, config.kelurahan_order)
    days: list[ScheduleDay] = []
    invitations: list[Invitation] = []
    working_days = _Peekable(calendar.working_days_from(start))
    for kelurahan in order:
        first_day = working_days.peek()
        pending = _demand(by_kelurahan[kelurahan], first_day)
        if not pending:
            continue
        slices = _split_for_days(pending, config.min_days_per_kelurahan, limit)
        for number, invited in enumerate(slices, start=1):
            date = next(working_days)
            expected = math.ceil(len(invited) * config.turnout_share - 1e-9)
            planned = min(capacity, expected)
            over = measured and expected > capacity
            days.append(
                ScheduleDay(
                    date, kelurahan, planned, capacity, len(invited), number, len(slices), over
                )
            )
            invitations.extend(_rt_letters(date, kelurahan, invited))
    letters = _number_parts(invitations)
    return SchedulePlan(start, config, capacity, tuple(days), letters, measured)


def _demand(residents: list[Resident], on: dt.date) -> list[Resident]:
    """Not yet recorded and wajib KTP on ``on``, in RW, RT, KK order."""
    pending = [r for r in residents if not r.is_recorded and r.is_wajib_ktp(on)]
    return sorted(pending, key=lambda r: (r.rw, r.rt, r.kk, r.name, r.nik))


def _visiting_order(
    by_kelurahan: dict[str, list[Resident]], start: dt.date, configured: list[str]
) -> list[str]:
    known = {name.casefold(): name for name in by_kelurahan}
    listed = [known[name.casefold()] for name in configured if name.casefold() in known]
    sizes = {name: len(_demand(group, start)) for name, group in by_kelurahan.items()}
    rest = sorted(set(by_kelurahan) - set(listed), key=lambda name: (-sizes[name], name))
    return list(dict.fromkeys(listed)) + rest


def _split_for_days(pending: list[Resident], min_days: int, limit: int) -> list[list[Resident]]:
    """Cut the ordered residents into day slices of at most ``limit`` each."""
    families = [list(group) for _, group in groupby(pending, key=lambda r: (r.rw, r.rt, r.kk))]
    day_count = max(min_days, math.ceil(len(pending) / limit))
    while True:
        slices = _try_split(families, day_count, limit)
        if slices is not None:
            return slices
        day_count += 1  # family sizes did not pack into this many days


def _try_split(
    families: list[list[Resident]], day_count: int, limit: int
) -> list[list[Resident]] | None:
    slices: list[list[Resident]] = []
    rest = families
    for days_left in range(day_count, 0, -1):
        remaining = sum(len(family) for family in rest)
        if days_left == 1 or len(rest) <= 1:
            if remaining > limit and len(rest) > 1:
                return None
            slices.append([resident for family in rest for resident in family])
            return slices
        cut = _choose_cut(rest, remaining, days_left, limit)
        if cut is None:
            return None
        slices.append([resident for family in rest[:cut] for resident in family])
        rest = rest[cut:]
    return slices


def _choose_cut(
    families: list[list[Resident]], remaining: int, days_left: int, limit: int
) -> int | None:
    """How many families to invite today: near an even split, on an RT boundary if close."""
    ideal = remaining / days_left
    candidates: list[tuple[int, int, bool]] = []  # (families taken, residents, RT boundary)
    taken = 0
    for index, family in enumerate(families[: len(families) - days_left + 1], start=1):
        taken += len(family)
        if taken > limit and index > 1:
            break
        if remaining - taken <= (days_left - 1) * limit:
            following = families[index] if index < len(families) else None
            rt_boundary = following is None or (following[0].rw, following[0].rt) != (
                family[0].rw,
                family[0].rt,
            )
            candidates.append((index, taken, rt_boundary))
    if not candidates:
        return None
    on_rt = [c for c in candidates if c[2] and abs(c[1] - ideal) <= RT_SNAP_TOLERANCE * ideal]
    best = min(on_rt or candidates, key=lambda c: abs(c[1] - ideal))
    return best[0]


def _rt_letters(date: dt.date, kelurahan: str, invited: list[Resident]) -> Iterator[Invitation]:
    for (rw, rt), group in groupby(invited, key=lambda r: (r.rw, r.rt)):
        yield Invitation(date, kelurahan, rw, rt, tuple(group))


def _number_parts(invitations: list[Invitation]) -> tuple[Invitation, ...]:
    """Number the letters of an RT invited over several days: part 1 of 2, 2 of 2."""
    parts: dict[tuple[str, int, int], int] = {}
    for invitation in invitations:
        key = (invitation.kelurahan, invitation.rw, invitation.rt)
        parts[key] = parts.get(key, 0) + 1
    seen: dict[tuple[str, int, int], int] = {}
    numbered = []
    for invitation in invitations:
        key = (invitation.kelurahan, invitation.rw, invitation.rt)
        seen[key] = seen.get(key, 0) + 1
        numbered.append(
            Invitation(
                invitation.date,
                invitation.kelurahan,
                invitation.rw,
                invitation.rt,
                invitation.residents,
                seen[key],
                parts[key],
            )
        )
    return tuple(numbered)


class _Peekable:
    def __init__(self, days: Iterator[dt.date]) -> None:
        self._days = days
        self._next: dt.date | None = None

    def peek(self) -> dt.date:
        if self._next is None:
            self._next = next(self._days)
        return self._next

    def __next__(self) -> dt.date:
        day = self.peek()
        self._next = None
        return day
