"""Check every configured device: open it, ask it about itself, close it.

Each device is tried in its own worker thread under a deadline, so one hung device
cannot stop the report on the others. Opening failures and self-test failures are
reported the same way: which device, and why, in a plain sentence.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

from hardware.base import Device, SelfTestResult
from hardware.camera import open_camera
from hardware.config import HardwareConfig
from hardware.errors import DeviceError
from hardware.fingerprint import open_fingerprint
from hardware.gpio import open_booth_gpio, open_generator_contact
from hardware.smartcard import open_smartcard
from hardware.ups import open_ups

OPENERS: dict[str, Callable[[Any], Device]] = {
    "fingerprint": open_fingerprint,
    "smartcard": open_smartcard,
    "camera": open_camera,
    "gpio": open_booth_gpio,
    "generator": open_generator_contact,
    "ups": open_ups,
}


def _check(name: str, config: Any) -> SelfTestResult:
    try:
        device = OPENERS[name](config)
    except DeviceError as err:
        return SelfTestResult(name, False, f"cannot open: {err}")
    except Exception as err:  # a driver bug must still give a line in the report
        return SelfTestResult(name, False, f"cannot open: {type(err).__name__}: {err}")
    try:
        result = device.self_test()
        return SelfTestResult(name, result.ok, result.detail)
    finally:
        device.close()


def run_selftest(config: HardwareConfig, *, timeout: float = 30.0) -> list[SelfTestResult]:
    """One result per configured device, in a fixed order; never raises for a device fault."""
    configured = [(name, getattr(config, name)) for name in OPENERS]
    configured = [(name, cfg) for name, cfg in configured if cfg is not None]
    results: list[SelfTestResult] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(configured)))
    try:
        futures = {name: pool.submit(_check, name, cfg) for name, cfg in configured}
        for name, future in futures.items():
            try:
                results.append(future.result(timeout=timeout))
            except concurrent.futures.TimeoutError:
                results.append(SelfTestResult(name, False, f"no answer within {timeout:.0f} s"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results
