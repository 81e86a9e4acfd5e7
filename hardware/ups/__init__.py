"""The UPS, read through NUT: an asyncio protocol client, the device and its backends."""

from hardware.ups.client import NutClient
from hardware.ups.config import EmulatedUpsConfig, NutUpsConfig, UpsConfig, open_ups
from hardware.ups.device import NutUps, Ups
from hardware.ups.emulated import EmulatedUps
from hardware.ups.protocol import NutServerError
from hardware.ups.reading import UpsReading

__all__ = [
    "EmulatedUps",
    "EmulatedUpsConfig",
    "NutClient",
    "NutServerError",
    "NutUps",
    "NutUpsConfig",
    "Ups",
    "UpsConfig",
    "UpsReading",
    "open_ups",
]
