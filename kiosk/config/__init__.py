"""The booth's configuration: one pydantic model per TOML section, ``extra="forbid"``.

``KioskConfig`` is the whole file (:class:`kiosk.config.booth.BoothConfig`);
:func:`load_booth_config` reads and validates it. Nothing here imports kiosk logic.
"""

from kiosk.config.booth import BoothConfig, load_booth_config
from kiosk.config.edge import EdgeLink
from kiosk.config.mobile import MobileSettings
from kiosk.config.office import OfficeRules
from kiosk.config.operator_cards import OperatorCardSettings
from kiosk.config.photo import PhotoQualityConfig
from kiosk.config.power import BoothPowerSettings
from kiosk.config.timeouts import Timeouts
from kiosk.config.uplink import UplinkSettings
from kiosk.config.voice import VoiceConfig

KioskConfig = BoothConfig
"""The booth's whole configuration (the kiosk's root config model)."""

__all__ = [
    "BoothConfig",
    "BoothPowerSettings",
    "EdgeLink",
    "KioskConfig",
    "MobileSettings",
    "OfficeRules",
    "OperatorCardSettings",
    "PhotoQualityConfig",
    "Timeouts",
    "UplinkSettings",
    "VoiceConfig",
    "load_booth_config",
]
