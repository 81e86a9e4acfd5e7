"""The office's working days: weekly days off (weekends) and a list of holidays.

Recording is planned and paced in working days: the schedule never puts a village
on a Sunday or a holiday, and the coverage projection counts only days the office
records. An office that records on Saturdays (as Gunung Tabur did in 2012) lists only
``sunday`` as its weekly day off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from edge_controller.config.calendar import WEEKDAYS, CalendarConfig, Weekday


class WorkingCalendar:
    """Answers "is this a working day?" and counts working days."""

    def __init__(
        self,
        weekly_days_off: Iterable[Weekday] = ("saturday", "sunday"),
        holidays: Iterable[dt.date] = (),
    ) -> None:
        days_off = {WEEKDAYS.index(name) for name in weekly_days_off}
        if len(days_off) == len(WEEKDAYS):
            raise ValueError("a calendar needs at least one working day in the week")
        self._weekdays_off = frozenset(days_off)
        self.holidays = frozenset(holidays)

    @classmethod
    def from_config(cls, config: CalendarConfig) -> WorkingCalendar:
        return cls(config.weekly_days_off, config.holidays)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self._weekdays_off and day not in self.holidays

    def working_days_from(self, start: dt.date) -> Iterator[dt.date]:
        """The working days on or after ``start``, in order (an endless iterator)."""
        day = start
        while True:
            if self.is_working_day(day):
                yield day
            day += dt.timedelta(days=1)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return next(self.working_days_from(day + dt.timedelta(days=1)))

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``count`` ≥ 1)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        days = self.working_days_from(day + dt.timedelta(days=1))
        for _ in range(count - 1):
            next(days)
        return next(days)

    def working_days_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The working days from ``first`` to ``last``, both included."""
        result = []
        day = first
        while day <= last:
            if self.is_working_day(day):
                result.append(day)
            day += dt.timedelta(days=1)
        return result

    def last_working_days(self, until: dt.date, count: int) -> list[dt.date]:
        """The ``count`` most recent working days on or before ``until``, oldest first."""
        result: list[dt.date] = []
        day = until
        while len(result) < count:
            if self.is_working_day(day):
                result.append(day)
            day -= dt.timedelta(days=1)
        return result[::-1]
