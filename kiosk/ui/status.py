"""What the always-visible banners show: edge reachability, power, device health.

The booth updates one :class:`BoothStatus` from its MQTT client, power watcher and
self-tests (any thread: plain attribute writes); the app reads it about once a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PowerState(StrEnum):
    MAINS = "mains"
    GENERATOR = "generator"
    ON_BATTERY = "on_battery"
    LOW_BATTERY = "low_battery"


@dataclass
class DeviceHealth:
    ok: bool
    detail: str = ""


@dataclass
class BoothStatus:
    """A snapshot the UI polls; writers replace whole values, so reads need no lock."""

    edge_online: bool = True
    records_waiting: int = 0
    power: PowerState = PowerState.MAINS
    battery_minutes_left: int | None = None
    devices: dict[str, DeviceHealth] = field(default_factory=dict)

    @property
    def all_devices_ok(self) -> bool:
        return all(health.ok for health in self.devices.values())
