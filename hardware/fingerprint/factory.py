"""Open the configured fingerprint sensor."""

from __future__ import annotations

from hardware.fingerprint.config import EmulatedFingerprintConfig, RealFingerprintConfig
from hardware.fingerprint.sensor import FingerprintSensor


def open_fingerprint(
    config: RealFingerprintConfig | EmulatedFingerprintConfig,
) -> FingerprintSensor:
    """The sensor backend this configuration names.

    Nothing is sent to the sensor yet: the port opens on the first call, so a booth
    starts even while its sensor is unplugged (``self_test()`` says why it fails).
    """
    if isinstance(config, EmulatedFingerprintConfig):
        from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor  # noqa: PLC0415

        return EmulatedFingerprintSensor(config)
    from hardware.fingerprint.adafruit_backend import AdafruitFingerprintSensor  # noqa: PLC0415

    return AdafruitFingerprintSensor(config)
