"""Coverage: recorded / required per kelurahan and RT, against the office's target.

"Required" are the residents who must hold a KTP (wajib KTP) on the report day;
"recorded" are those of them recorded here by the end of that day, or recorded before
according to the roster export. The target is a share of the required (60% for the
2012 campaign) by a date. The projection extends the current pace — recordings per
working day over the last N working days, the report day included — over the working
days after the report day: it gives the date the target will be reached, or says
"not at this pace" when that date falls after the target date (or nothing is being
recorded).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sqlite3
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from edge_controller.config.coverage import CoverageConfig
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.capacity import measured_capacity
from edge_controller.planning.coverage_counts import office_counts, rt_counts
from edge_controller.roster.store import Resident, not_recorded
from ektp.i18n import N_


@dataclass(frozen=True)
class CoverageLine:
    """Coverage of one kelurahan (``rt``/``rw`` None), one RT, or the whole office."""

    kelurahan: str | None
    rw: int | None
    rt: int | None
    required: int
    recorded: int
    target: int
    """Residents to record to reach the target share (rounded up)."""

    @property
    def share(self) -> float:
        return self.recorded / self.required if self.required else 0.0

    @property
    def missing_to_target(self) -> int:
        return max(0, self.target - self.recorded)


class ProjectionStatus(StrEnum):
    REACHED = "reached"
    ON_TRACK = "on_track"
    NOT_AT_THIS_PACE = "not_at_this_pace"


PROJECTION_LABELS = {
    ProjectionStatus.REACHED: N_("Target reached"),
    ProjectionStatus.ON_TRACK: N_("On track"),
    ProjectionStatus.NOT_AT_THIS_PACE: N_("Not at this pace"),
}
"""What the dashboard shows for each status (gettext msgids, ``edge_controller`` domain)."""


@dataclass(frozen=True)
class Projection:
    status: ProjectionStatus
    pace_per_working_day: float
    """Recordings of required residents per working day over the pace window."""
    remaining: int
    """Residents still to record to reach the target."""
    projected_date: dt.date | None
    """When the target will be reached at this pace (None: already reached, or no pace)."""
    reached_on: dt.date | None
    """When it was reached (REACHED only; None if the roster export alone reaches it)."""
    needed_per_working_day: float | None
    """The pace that would reach the target by the target date (None without one)."""
    with_one_more_booth: dt.date | None = None
    """When one more booth recording its measured residents a day would reach it (None:
    reached already, or too few days measured; :mod:`~.capacity`)."""


@dataclass(frozen=True)
class CoverageReport:
    as_of: dt.date
    target_share: float
    target_date: dt.date | None
    total: CoverageLine
    kelurahan: tuple[CoverageLine, ...]
    rts: tuple[CoverageLine, ...]
    projection: Projection

    def for_kelurahan(self, name: str) -> CoverageLine:
        return next(line for line in self.kelurahan if line.kelurahan == name)

    def rts_of(self, name: str) -> list[CoverageLine]:
        return [line for line in self.rts if line.kelurahan == name]


def coverage_report(
    conn: sqlite3.Connection,
    *,
    as_of: dt.date,
    config: CoverageConfig,
    calendar: WorkingCalendar,
    rts_of: Collection[str] | None = None,
) -> CoverageReport:
    """Coverage at the end of ``as_of`` from the roster and recordings in the database.

    Read from the counts the database keeps (:mod:`~.coverage_counts`), so a regency's
    million residents answer in milliseconds. RT lines only for the kelurahan in
    ``rts_of`` (None: every kelurahan, which reads every resident).
    """
    per_booth_day = measured_capacity(conn, as_of).per_booth_day
    counts = office_counts(conn, as_of)
    return _report(
        {name: (c.required, c.recorded) for name, c in counts.kelurahan.items()},
        {key: (c.required, c.recorded) for key, c in rt_counts(conn, as_of, rts_of).items()},
        counts.export_recorded,
        counts.recorded_by_day,
        as_of=as_of,
        config=config,
        calendar=calendar,
        per_booth_day=per_booth_day,
    )


def residents_not_recorded(
    conn: sqlite3.Connection,
    *,
    as_of: dt.date,
    kelurahan: str | None = None,
    rt: int | None = None,
    rw: int | None = None,
) -> list[Resident]:
    """Who must hold a KTP on ``as_of`` and is not recorded yet, by kelurahan, RW, RT, KK."""
    return not_recorded(conn, kelurahan, rt, rw=rw, on=as_of)


def coverage_for_residents(
    residents: Sequence[Resident],
    *,
    as_of: dt.date,
    config: CoverageConfig,
    calendar: WorkingCalendar,
    per_booth_day: float | None = None,
) -> CoverageReport:
    """The same, for residents already loaded (pure: no database); ``per_booth_day`` is
    the measured capacity of one booth, for the projection with one more booth."""
    required = [r for r in residents if r.is_wajib_ktp(as_of)]
    counted = [r for r in required if r.is_recorded_by(as_of)]

    def place(resident: Resident) -> tuple[str, int, int]:
        return resident.kelurahan, resident.rw, resident.rt

    kelurahan_counted = Counter(r.kelurahan for r in counted)
    rt_counted = Counter(place(r) for r in counted)
    by_kelurahan = {
        name: (n, kelurahan_counted[name])
        for name, n in Counter(r.kelurahan for r in required).items()
    }
    by_rt = {key: (n, rt_counted[key]) for key, n in Counter(map(place, required)).items()}
    before = sum(1 for r in counted if r.recorded_on is None)
    by_day = Counter(r.recorded_on for r in counted if r.recorded_on is not None)
    return _report(
        by_kelurahan,
        by_rt,
        before,
        dict(by_day),
        as_of=as_of,
        config=config,
        calendar=calendar,
        per_booth_day=per_booth_day,
    )


def _report(
    by_kelurahan: Mapping[str, tuple[int, int]],
    by_rt: Mapping[tuple[str, int, int], tuple[int, int]],
    before: int,
    by_day: Mapping[dt.date, int],
    *,
    as_of: dt.date,
    config: CoverageConfig,
    calendar: WorkingCalendar,
    per_booth_day: float | None,
) -> CoverageReport:
    """The report from (required, recorded) per kelurahan and RT, the residents counted
    from the roster export alone (``before``) and those recorded here per day."""
    share = config.target_share
    kelurahan_lines = [
        _line(name, None, None, *counts, share=share)
        for name, counts in sorted(by_kelurahan.items())
    ]
    rt_lines = [
        _line(key[0], key[1], key[2], *counts, share=share) for key, counts in sorted(by_rt.items())
    ]
    total = _line(
        None,
        None,
        None,
        sum(line.required for line in kelurahan_lines),
        sum(line.recorded for line in kelurahan_lines),
        share=share,
    )
    projection = _project(total, before, by_day, as_of=as_of, config=config, calendar=calendar)
    if per_booth_day and projection.remaining:  # today's pace plus one measured booth
        pace = projection.pace_per_working_day + per_booth_day
        days = math.ceil(projection.remaining / pace - 1e-9)
        projection = dataclasses.replace(
            projection, with_one_more_booth=calendar.add_working_days(as_of, days)
        )
    return CoverageReport(
        as_of,
        share,
        config.target_date,
        total,
        tuple(kelurahan_lines),
        tuple(rt_lines),
        projection,
    )


def _line(
    kelurahan: str | None,
    rw: int | None,
    rt: int | None,
    required: int,
    recorded: int,
    *,
    share: float,
) -> CoverageLine:
    return CoverageLine(
        kelurahan, rw, rt, required=required, recorded=recorded, target=_target(required, share)
    )


def _target(required: int, share: float) -> int:
    return math.ceil(required * share - 1e-9)


def _project(
    total: CoverageLine,
    before: int,
    by_day: Mapping[dt.date, int],
    *,
    as_of: dt.date,
    config: CoverageConfig,
    calendar: WorkingCalendar,
) -> Projection:
    window = config.pace_window_working_days
    in_window = sum(by_day.get(day, 0) for day in calendar.last_working_days(as_of, window))
    pace = in_window / window
    remaining = total.missing_to_target
    needed = None
    if config.target_date is not None and remaining:
        days_left = len(
            calendar.working_days_between(as_of + dt.timedelta(days=1), config.target_date)
        )
        needed = remaining / days_left if days_left else None
    if remaining == 0:
        reached = _reached_on(before, by_day, total.target)
        return Projection(ProjectionStatus.REACHED, pace, 0, None, reached, None)
    if in_window == 0:
        return Projection(ProjectionStatus.NOT_AT_THIS_PACE, 0.0, remaining, None, None, needed)
    # ceil(remaining / (in_window / window)) in integers: no rounding surprise.
    days_needed = -(-remaining * window // in_window)
    projected = calendar.add_working_days(as_of, days_needed)
    late = config.target_date is not None and projected > config.target_date
    status = ProjectionStatus.NOT_AT_THIS_PACE if late else ProjectionStatus.ON_TRACK
    return Projection(status, pace, remaining, projected, None, needed)


def _reached_on(before: int, by_day: Mapping[dt.date, int], target: int) -> dt.date | None:
    """The day the count of recorded residents first reached ``target`` (None: the
    ``before`` counted from the roster export reach it alone)."""
    if before >= target:
        return None
    counted = before
    for day in sorted(by_day):
        counted += by_day[day]
        if counted >= target:
            return day
    return None
