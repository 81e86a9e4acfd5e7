"""The device part of the booth's ``booths/<id>/health`` report.

:class:`DeviceHealthProbe` self-tests the devices whose self-test has no side effect
on a session in progress (the fingerprint sensor and the card reader: a few short
exchanges, each under the device's own lock) and turns each result into an
:class:`~ektp.messages.DeviceHealth`. A failing self-test counts as one error, so the
edge sees a broken sensor both as ``unavailable`` and as a growing error count.

The camera is left out on purpose: its self-test starts and stops the camera, which
would disturb a photo being taken.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ektp.messages import DeviceHealth
from hardware.base import SelfTestResult

log = logging.getLogger(__name__)

DETAIL_LIMIT = 300
"""Characters of a self-test detail kept in the report (the schema caps free text)."""


class SelfTesting(Protocol):
    def self_test(self) -> SelfTestResult: ...


class DeviceHealthProbe:
    """``probe()`` → ``{device name: DeviceHealth}``; called from the uplink's thread."""

    def __init__(self, devices: Sequence[SelfTesting]) -> None:
        self._devices = list(devices)
        self._errors: dict[str, int] = {}

    def __call__(self) -> dict[str, DeviceHealth]:
        report = {}
        for device in self._devices:
            try:
                result = device.self_test()
            except Exception as err:  # a self-test must never stop the health report
                log.warning("self-test of %s raised %s", type(device).__name__, err)
                name = str(getattr(device, "name", type(device).__name__))
                result = SelfTestResult(name, False, f"{type(err).__name__}: {err}")
            if not result.ok:
                self._errors[result.device] = self._errors.get(result.device, 0) + 1
            report[result.device] = DeviceHealth(
                state="ok" if result.ok else "unavailable",
                error_count=self._errors.get(result.device, 0),
                detail=result.detail[:DETAIL_LIMIT],
            )
        return report
