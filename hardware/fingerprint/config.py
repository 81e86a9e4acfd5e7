"""Configuration of the fingerprint sensor: the real one on a UART, or the emulator.

``FingerprintConfig`` is a union told apart by ``backend``; :func:`open_fingerprint`
(in ``factory.py``) turns one into a ready device.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from pydantic import Field

from hardware.config_types import ConfigSection, Duration
from hardware.fingerprint.simulated_sensor import SensorSettings

ModuleWord = Annotated[int, Field(ge=0, le=0xFFFFFFFF)]
"""A 32-bit value the sensor module keeps (its address, its password)."""

EmulatedDelay = Annotated[float, Field(ge=0, le=10)]
"""Seconds one emulated sensor step takes, before the speed factor."""


class _FingerprintSettings(ConfigSection):
    """What both backends need: how to address the sensor and how long to wait."""

    address: ModuleWord = Field(
        default=0xFFFFFFFF,
        title="Module address",
        description="32-bit address of the sensor module; FFFFFFFF unless it was changed.",
    )
    password: ModuleWord = Field(
        default=0,
        title="Module password",
        description="32-bit password of the sensor module; 0 when none is set.",
    )
    baudrate: int = Field(
        default=57600,
        ge=9600,
        le=115200,
        multiple_of=9600,
        title="Baud rate",
        description="UART speed; the R30x family ships at 57600.",
    )
    timeout: Duration = Field(
        default=2.0,
        le=60,
        title="Reply timeout",
        description="Seconds to wait for each reply before the sensor counts as not answering.",
    )
    match_threshold: int = Field(
        default=50,
        ge=1,
        le=1000,
        title="Match threshold",
        description="Lowest match score that counts as the same finger.",
    )
    poll_interval: Duration = Field(
        default=0.05,
        le=1,
        title="Finger poll interval",
        description="Seconds between two looks at the glass while waiting for a finger or a lift.",
    )


class RealFingerprintConfig(_FingerprintSettings):
    """An R30x/R503 sensor on a serial port, driven by ``adafruit_fingerprint``."""

    backend: Literal["real"] = Field(
        default="real", title="Backend", description="The real sensor on a serial port."
    )
    port: str = Field(
        default="/dev/serial0",
        min_length=1,
        title="Serial port",
        description="Device path of the UART the sensor is wired to (e.g. /dev/ttyUSB0).",
    )


class EmulatedFingerprintConfig(_FingerprintSettings):
    """The sensor emulator on a pseudo-terminal, driven by the same library."""

    backend: Literal["emulated"] = Field(
        default="emulated",
        title="Backend",
        description="An emulated R30x sensor on a pseudo-terminal, for tests and the demo.",
    )
    speed: float = Field(
        default=1.0,
        gt=0,
        le=1000,
        title="Speed factor",
        description="Divides every emulated delay: 1 is real time, 20 is twenty times faster.",
    )
    capture_seconds: EmulatedDelay = Field(
        default=0.5, description="Time to take an image with a finger present."
    )
    no_finger_seconds: EmulatedDelay = Field(
        default=0.05, description="Time to answer 'no finger' to a capture."
    )
    image2tz_seconds: EmulatedDelay = Field(
        default=0.3, description="Time to turn an image into a template."
    )
    search_seconds: EmulatedDelay = Field(
        default=0.05, description="Time to search the template library."
    )
    wire_time: bool = Field(
        default=True,
        description="Also delay each reply by its transmission time at the baud rate.",
    )
    library_size: int = Field(
        default=200, ge=1, le=3000, description="Templates the sensor's flash can hold."
    )
    packet_size: Literal[32, 64, 128, 256] = Field(
        default=128, description="Bytes per data packet when templates move."
    )
    security_level: int = Field(
        default=3, ge=1, le=5, description="Security level the sensor reports (1-5)."
    )
    min_image_quality: int = Field(
        default=30,
        ge=0,
        le=100,
        description="Presented fingers below this quality give 'image too messy'.",
    )
    frame_gap_seconds: Duration = Field(
        default=0.5,
        le=10,
        description="A partial packet idle this long is dropped, as a sensor resets its receiver.",
    )
    seed: int = Field(default=0, description="Seed of the impression noise, for reproducible runs.")
    messy_image_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of images answered 'image too messy', as a worn sensor does: the "
        "resident places the finger again. Raise it to see the edge's sensor alert.",
    )

    def sensor_settings(self) -> SensorSettings:
        """The emulator's view of this configuration, in real-time seconds: each setting
        the emulator shares with the configuration by name, plus the image-to-template time."""
        shared = {field.name for field in dataclasses.fields(SensorSettings)}
        return SensorSettings(
            **self.model_dump(include=shared), image_to_template_seconds=self.image2tz_seconds
        )


FingerprintConfig = Annotated[
    RealFingerprintConfig | EmulatedFingerprintConfig, Field(discriminator="backend")
]
