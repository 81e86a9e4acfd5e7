"""A whole office day for the "Waktu layanan" page, the API, the print and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from edge_controller.service_times.report import DayReport, GroupTimes, day_report
from edge_controller.service_times.sensors import (
    FingerRates,
    SensorRates,
    finger_rates,
    sensor_rates,
)
from edge_controller.service_times.store import handovers_on, stage_rows

if TYPE_CHECKING:
    from _csv import Writer


@dataclass(frozen=True)
class ServiceDay:
    report: DayReport
    sensors: tuple[SensorRates, ...]
    fingers: tuple[FingerRates, ...]

    def fingers_of(self, sensor: str) -> list[FingerRates]:
        return [rates for rates in self.fingers if rates.sensor == sensor]


def service_day(conn: sqlite3.Connection, day: dt.date, timezone: ZoneInfo) -> ServiceDay:
    report = day_report(day, stage_rows(conn, day), timezone, handovers_on(conn, day, timezone))
    return ServiceDay(report, tuple(sensor_rates(conn, day)), tuple(finger_rates(conn, day)))


CSV_HEADER = (
    "date",
    "scope",
    "group",
    "stage",
    "count",
    "median_s",
    "p90_s",
    "called",
    "abandoned",
    "sealed",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _group_rows(day: dt.date, scope: str, group: GroupTimes) -> list[list[str]]:
    return [
        [
            day.isoformat(),
            scope,
            group.group,
            stage.name,
            str(stage.count),
            _number(stage.median_s),
            _number(stage.p90_s),
            str(group.called),
            str(group.abandoned),
            str(group.sealed),
        ]
        for stage in group.stages
    ]


def service_day_csv(view: ServiceDay) -> str:
    """The day as CSV: one row per duration for the office, each booth and kelurahan;
    then operators (recorded, median capture, per hour) and sensors (retry rates)."""
    report, out = view.report, io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_group_rows(report.day, "office", report.office))
    for scope, groups in (("booth", report.booths), ("kelurahan", report.kelurahan)):
        for group in groups:
            writer.writerows(_group_rows(report.day, scope, group))
    date = report.day.isoformat()
    _write_section(
        writer,
        date,
        ("operator_id", "recorded", "median_capture_s", "hours", "per_hour"),
        [
            (
                op.operator_id,
                op.recorded,
                _number(op.median_capture_s),
                f"{op.hours:.2f}",
                _number(op.per_hour),
            )
            for op in report.operators
        ],
    )
    _write_section(
        writer,
        date,
        ("sensor", "fingers", "retry_rate", "exception_rate", "baseline_7d", "alert"),
        [
            (
                sensor.sensor,
                sensor.fingers,
                _rate(sensor.retry_rate),
                _rate(sensor.exception_rate),
                _rate(sensor.baseline_rate),
                "yes" if sensor.doubled else "",
            )
            for sensor in view.sensors
        ],
    )
    _write_section(
        writer,
        date,
        ("sensor", "finger", "count", "retry_rate", "exception_rate"),
        [
            (
                finger.sensor,
                finger.finger,
                finger.count,
                _rate(finger.retry_rate),
                _rate(finger.exception_rate),
            )
            for finger in view.fingers
        ],
    )
    return out.getvalue()


def _write_section(
    writer: Writer, date: str, header: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """A blank line, the section's header, then its rows; each starts with the date."""
    writer.writerow(())
    writer.writerow(("date", *header))
    writer.writerows((date, *row) for row in rows)


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
