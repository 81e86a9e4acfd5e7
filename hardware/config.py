"""The hardware section of a booth's or the edge's configuration: one entry per device.

Each device's own module defines its config models (a discriminated union on
``backend``); this model only gathers them. A device left out is not configured.
"""

from __future__ import annotations

from pydantic import Field

from hardware.camera import CameraConfig, EmulatedCameraConfig
from hardware.config_types import ConfigSection
from hardware.fingerprint import EmulatedFingerprintConfig, FingerprintConfig
from hardware.gpio import (
    BoothGpioConfig,
    EmulatedBoothGpioConfig,
    EmulatedGeneratorContactConfig,
    GeneratorContactConfig,
)
from hardware.smartcard import EmulatedSmartCardConfig, SmartCardConfig
from hardware.ups import EmulatedUpsConfig, UpsConfig


class HardwareConfig(ConfigSection):
    """Which devices this machine has and how to reach each."""

    fingerprint: FingerprintConfig | None = Field(
        default=None, title="Fingerprint sensor", description="R30x/R503 sensor over UART."
    )
    smartcard: SmartCardConfig | None = Field(
        default=None, title="Smart-card reader", description="PC/SC reader for operator cards."
    )
    camera: CameraConfig | None = Field(
        default=None, title="Camera", description="Pi camera, USB webcam or emulated."
    )
    gpio: BoothGpioConfig | None = Field(
        default=None, title="GPIO", description="Booth status LEDs, buzzer and call button."
    )
    generator: GeneratorContactConfig | None = Field(
        default=None,
        title="Generator contact",
        description="The transfer switch contact (edge only): closed = generator feeds the office.",
    )
    ups: UpsConfig | None = Field(
        default=None, title="UPS", description="The office UPS through NUT's upsd."
    )

    @classmethod
    def emulated(cls) -> HardwareConfig:
        """Every device, emulated: what ``rekam-hw selftest --emulated`` and the demo use."""
        return cls(
            fingerprint=EmulatedFingerprintConfig(backend="emulated"),
            smartcard=EmulatedSmartCardConfig(backend="emulated"),
            camera=EmulatedCameraConfig(backend="emulated"),
            gpio=EmulatedBoothGpioConfig(backend="emulated"),
            generator=EmulatedGeneratorContactConfig(backend="emulated"),
            ups=EmulatedUpsConfig(backend="emulated"),
        )
