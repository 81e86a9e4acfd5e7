"""What the always-visible banners show: edge reachability, power, device health.

The booth updates one :class:`BoothStatus` from its MQTT client, power watcher and
self-tests (any thread: plain attribute writes); the app reads it about once a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.mobile.duty import DutyState, duty_banner
from kiosk.power.banner import BannerPower as PowerState
from kiosk.power.banner import bare_state_notice
from kiosk.uplink.review_notices import piling_up_text, rejection_text


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
    power_notice: str | None = None
    """The power banner's msgid, from ``kiosk.power.policy.PowerPolicy.notice()`` (None: no
    policy has spoken, the banner follows ``power``)."""
    devices: dict[str, DeviceHealth] = field(default_factory=dict)
    mobile_duty: DutyState | None = None
    """The booth is away on mobile duty (kiosk.mobile.duty): since when, which villages."""
    review_rejection: str | None = None
    """The supervisor's comment on the latest rejected record the operator has not closed."""
    reviews_piling_up: int | None = None
    """Records waiting for review, when more wait than the office allows; else None."""

    @property
    def all_devices_ok(self) -> bool:
        return all(health.ok for health in self.devices.values())


def notice_lines(status: BoothStatus, language: str, now: dt.datetime | None = None) -> list[str]:
    """The notice banner's lines, in ``language``: mobile duty, a rejection, reviews piling up."""
    lines = []
    if status.mobile_duty is not None:
        now = now or dt.datetime.now(dt.UTC)
        lines.append(duty_banner(status.mobile_duty, now, status.records_waiting, language))
    if status.review_rejection is not None:
        lines.append(rejection_text(status.review_rejection, language))
    if status.reviews_piling_up is not None:
        lines.append(piling_up_text(status.reviews_piling_up, language))
    return lines


def power_notice(status: BoothStatus) -> str | None:
    """The power banner's msgid: the power policy's notice, else one for the bare state."""
    if status.power_notice is not None:
        return status.power_notice
    return bare_state_notice(status.power)
