"""Fixtures for the fingerprint tests: the emulator on a pty and the real library on it.

Test modules load these with ``pytest_plugins = ["fingerprint_fixtures"]`` (this folder
has no conftest.py of its own; other devices' helpers share it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.fingerprint import EmulatedFingerprintConfig
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from hardware.fingerprint.emulator import SensorEmulator


@pytest.fixture
def fingerprint_config() -> EmulatedFingerprintConfig:
    """Twenty times faster than a real sensor, with replies still timed; a reply timeout
    far above any emulated delay, so a loaded machine does not look like a dead sensor."""
    return EmulatedFingerprintConfig(speed=20.0, timeout=2.0)


@pytest.fixture
def fingerprint_sensor(
    fingerprint_config: EmulatedFingerprintConfig,
) -> Iterator[EmulatedFingerprintSensor]:
    """The real adafruit_fingerprint backend driving the emulator over a pty."""
    with EmulatedFingerprintSensor(fingerprint_config) as sensor:
        yield sensor


@pytest.fixture
def sensor_emulator(fingerprint_config: EmulatedFingerprintConfig) -> Iterator[SensorEmulator]:
    """The emulator alone, for clients that speak the wire protocol themselves."""
    with SensorEmulator(fingerprint_config) as emulator:
        yield emulator
