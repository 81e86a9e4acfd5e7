"""A whole office day for the "Waktu layanan" page, the API, the print and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from edge_controller.service_times.report import DayReport, GroupTimes, day_report
from edge_controller.service_times.sensors import (
    FingerRates,
    SensorRates,
    finger_rates,
    sensor_rates,
)
from edge_controller.service_times.store import handovers_on, stage_rows


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
    writer.writerow(())
    writer.writerow(("date", "operator_id", "recorded", "median_capture_s", "hours", "per_hour"))
    for op in report.operators:
        writer.writerow(
            (
                report.day.isoformat(),
                op.operator_id,
                op.recorded,
                _number(op.median_capture_s),
                f"{op.hours:.2f}",
                _number(op.per_hour),
            )
        )
    writer.writerow(())
    writer.writerow(
        ("date", "sensor", "fingers", "retry_rate", "exception_rate", "baseline_7d", "alert")
    )
    for sensor in view.sensors:
        writer.writerow(
            (
                report.day.isoformat(),
                sensor.sensor,
                sensor.fingers,
                _rate(sensor.retry_rate),
                _rate(sensor.exception_rate),
                _rate(sensor.baseline_rate),
                "yes" if sensor.doubled else "",
            )
        )
    writer.writerow(())
    writer.writerow(("date", "sensor", "finger", "count", "retry_rate", "exception_rate"))
    for finger in view.fingers:
        writer.writerow(
            (
                report.day.isoformat(),
                finger.sensor,
                finger.finger,
                finger.count,
                _rate(finger.retry_rate),
                _rate(finger.exception_rate),
            )
        )
    return out.getvalue()


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
