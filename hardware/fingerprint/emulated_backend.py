"""The emulated backend: the real Adafruit backend talking to the sensor emulator.

Nothing is faked above the wire: :class:`EmulatedFingerprintSensor` starts a
:class:`~hardware.fingerprint.emulator.SensorEmulator` on a pseudo-terminal and drives
it through ``adafruit_fingerprint`` and pyserial exactly as the real backend drives a
UART. Tests and the demo reach the emulator's controls through :attr:`emulator`.
"""

from __future__ import annotations

from hardware.fingerprint.adafruit_backend import AdafruitFingerprintSensor
from hardware.fingerprint.config import EmulatedFingerprintConfig, RealFingerprintConfig
from hardware.fingerprint.emulator import SensorEmulator

_SHARED_FIELDS = set(RealFingerprintConfig.model_fields) - {"backend", "port"}


class EmulatedFingerprintSensor(AdafruitFingerprintSensor):
    """An emulated R30x sensor on a pty, with test controls on :attr:`emulator`."""

    def __init__(self, config: EmulatedFingerprintConfig | None = None) -> None:
        emulated = config or EmulatedFingerprintConfig()
        self.emulator = SensorEmulator(emulated).start()
        real = RealFingerprintConfig(
            port=self.emulator.port, **emulated.model_dump(include=_SHARED_FIELDS)
        )
        super().__init__(real)
        self.emulated_config = emulated

    def _close(self) -> None:
        super()._close()
        self.emulator.stop()
