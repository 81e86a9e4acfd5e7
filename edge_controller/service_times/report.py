"""One office day of stage events, measured: where the residents' time went.

A visit is one ticket (number and check-in time). Its stages give four durations:
waiting (check-in → called), call → capture start, capture → sealed, and the whole
visit (check-in → sealed). Each is summed up as count, median and p90 for the office,
and per booth, operator and kelurahan. A called ticket nobody answered (or a resident
sent home) counts as abandoned. Operators' throughput is residents sealed per hour
between their first call and their last seal of the day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from edge_controller.service_times.stats import Spread, spread
from edge_controller.service_times.store import StageRow
from ektp.service_stages import Stage

WAITING, CALL_TO_CAPTURE, CAPTURE_TO_SEALED, VISIT = (
    "waiting",
    "call_to_capture",
    "capture_to_sealed",
    "visit",
)
DURATIONS: tuple[tuple[str, Stage, Stage], ...] = (
    (WAITING, Stage.CHECK_IN, Stage.CALLED),
    (CALL_TO_CAPTURE, Stage.CALLED, Stage.CAPTURE_STARTED),
    (CAPTURE_TO_SEALED, Stage.CAPTURE_STARTED, Stage.SEALED),
    (VISIT, Stage.CHECK_IN, Stage.SEALED),
)
"""Each measured duration: its name, the stage it starts at and the stage it ends at."""


@dataclass
class Visit:
    """The stages one ticket reached, and who served it where."""

    key: str
    at: dict[Stage, dt.datetime] = field(default_factory=dict)
    booth_id: str = ""
    operator: str = ""
    kelurahan: str = ""
    abandoned: str = ""

    def seconds(self, start: Stage, end: Stage) -> float | None:
        if start not in self.at or end not in self.at:
            return None
        return max(0.0, (self.at[end] - self.at[start]).total_seconds())


@dataclass(frozen=True)
class GroupTimes:
    """The four durations for one booth, operator or kelurahan (or the whole office)."""

    group: str
    stages: tuple[Spread, ...]
    called: int
    abandoned: int
    sealed: int

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.called if self.called else None


@dataclass(frozen=True)
class OperatorTimes:
    operator_id: str
    recorded: int
    median_capture_s: float | None
    hours: float
    per_hour: float | None


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    office: GroupTimes
    booths: tuple[GroupTimes, ...]
    operators: tuple[OperatorTimes, ...]
    kelurahan: tuple[GroupTimes, ...]
    waiting_seconds: tuple[float, ...]
    """Every measured wait, for the distribution chart."""
    sealed_per_hour: dict[int, int]
    """Records sealed in each office-local hour of the day."""
    handed_over: int = 0


def visits_of(rows: Iterable[StageRow]) -> list[Visit]:
    visits: dict[str, Visit] = {}
    for row in rows:
        if not row.visit:
            continue
        visit = visits.setdefault(row.visit, Visit(row.visit))
        visit.at.setdefault(row.stage, row.at)
        if row.stage is Stage.CALLED:
            visit.booth_id, visit.operator = row.booth_id, row.operator
        if row.kelurahan and row.kelurahan != "-":
            visit.kelurahan = visit.kelurahan or row.kelurahan
        if row.stage is Stage.ABANDONED:
            visit.abandoned = row.outcome or "absent"
    for visit in visits.values():  # no check-in stage (an older booth): the ticket's time
        if Stage.CHECK_IN not in visit.at and Stage.CALLED in visit.at:
            issued = _issued_at(visit.key)
            if issued is not None:
                visit.at[Stage.CHECK_IN] = issued
    return list(visits.values())


def _issued_at(key: str) -> dt.datetime | None:
    """When the ticket of a visit key (``number@issued``) was issued, if it says."""
    try:
        issued = dt.datetime.fromisoformat(key.partition("@")[2])
    except ValueError:
        return None
    return issued if issued.tzinfo is not None else None


def group_times(group: str, visits: list[Visit]) -> GroupTimes:
    stages = tuple(
        spread(name, [s for v in visits if (s := v.seconds(start, end)) is not None])
        for name, start, end in DURATIONS
    )
    return GroupTimes(
        group=group,
        stages=stages,
        called=sum(1 for v in visits if Stage.CALLED in v.at),
        abandoned=sum(1 for v in visits if v.abandoned),
        sealed=sum(1 for v in visits if Stage.SEALED in v.at),
    )


def _grouped(visits: list[Visit], key: Callable[[Visit], str]) -> tuple[GroupTimes, ...]:
    groups: dict[str, list[Visit]] = defaultdict(list)
    for visit in visits:
        if name := key(visit):
            groups[name].append(visit)
    return tuple(group_times(name, groups[name]) for name in sorted(groups))


def operator_times(rows: list[StageRow], visits: list[Visit]) -> tuple[OperatorTimes, ...]:
    spans: dict[str, list[dt.datetime]] = defaultdict(list)
    for row in rows:
        if row.operator and row.stage in (Stage.CALLED, Stage.SEALED):
            spans[row.operator].append(row.at)
    result = []
    for operator in sorted(spans):
        mine = [v for v in visits if v.operator == operator]
        sealed = [v for v in mine if Stage.SEALED in v.at]
        capture = spread(
            "capture",
            [
                s
                for v in sealed
                if (s := v.seconds(Stage.CAPTURE_STARTED, Stage.SEALED)) is not None
            ],
        )
        hours = (max(spans[operator]) - min(spans[operator])).total_seconds() / 3600
        per_hour = len(sealed) / hours if hours > 0 else None
        result.append(OperatorTimes(operator, len(sealed), capture.median_s, hours, per_hour))
    return tuple(result)


def day_report(
    day: dt.date, rows: list[StageRow], timezone: dt.tzinfo, handed_over: int = 0
) -> DayReport:
    """Measure one office day from its stage rows (:func:`~.store.stage_rows`)."""
    visits = visits_of(rows)
    per_hour: dict[int, int] = defaultdict(int)
    for visit in visits:
        if (sealed := visit.at.get(Stage.SEALED)) is not None:
            per_hour[sealed.astimezone(timezone).hour] += 1
    return DayReport(
        day=day,
        office=group_times("", visits),
        booths=_grouped(visits, lambda v: v.booth_id),
        operators=operator_times(rows, visits),
        kelurahan=_grouped(visits, lambda v: v.kelurahan),
        waiting_seconds=tuple(
            sorted(s for v in visits if (s := v.seconds(Stage.CHECK_IN, Stage.CALLED)) is not None)
        ),
        sealed_per_hour=dict(sorted(per_hour.items())),
        handed_over=handed_over,
    )
