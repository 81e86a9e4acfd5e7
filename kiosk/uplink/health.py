"""The booth's retained health report (``booths/<id>/health``): devices, outbox, disk, heat."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from pathlib import Path

from ektp.messages import DeviceHealth, HealthMessage

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def health_message(
    booth_id: str,
    at: dt.datetime,
    devices: Mapping[str, DeviceHealth],
    outbox_depth: int,
    data_dir: Path,
) -> HealthMessage:
    """The report now: ``devices`` as given, free space on ``data_dir``'s disk, SoC heat."""
    return HealthMessage(
        booth_id=booth_id,
        at=at,
        devices=dict(devices),
        outbox_depth=outbox_depth,
        disk_free_bytes=shutil.disk_usage(data_dir).free,
        cpu_temperature_c=cpu_temperature(),
    )


def cpu_temperature() -> float | None:
    try:
        return int(THERMAL_ZONE.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None
